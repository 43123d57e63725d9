use case_tracker::configuration::get_configuration;
use case_tracker::startup::Application;
use case_tracker::{db, demo, telemetry};
use clap::{Parser, Subcommand};

/// Urgent-intervention case tracker.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and load the country list, then exit.
    Migrate,
    /// Load the Kazakhstan 2016 demonstration case (Bokayev and Ayan).
    Demo,
    /// Deliver alert emails without serving HTTP (run as many as needed on PostgreSQL;
    /// set alerts.worker to false on the servers then).
    Worker,
    /// Exit 0 if the local server answers /health (for container health checks).
    Healthcheck,
    /// Manage API tokens (the first admin token is made here).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Fill the database with a synthetic data set, for measuring how reads scale.
    Generate {
        /// How many cases (each with one defender).
        #[arg(long, default_value_t = 1000)]
        cases: usize,
        /// How many timeline events per case.
        #[arg(long, default_value_t = 20)]
        events_per_case: usize,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a token and print its secret (shown this once).
    Create {
        /// admin, researcher, advocate or partner
        #[arg(long)]
        role: String,
        /// Who the token is for.
        #[arg(long)]
        name: String,
        /// Days until it expires; by default it does not.
        #[arg(long)]
        expires_in_days: Option<i64>,
        /// For a partner token: the subscriber's email address.
        #[arg(long)]
        email: Option<String>,
        /// For a partner token: the subscriber's organisation.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the audit log's hash chain; print the number of entries and the head
    /// (SEQ:HASH) to record elsewhere, or exit non-zero naming the first broken entry.
    Verify {
        /// A head recorded earlier (SEQ:HASH): it must still be in the chain, there.
        #[arg(long)]
        head: Option<case_tracker::auth::chain::Head>,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = get_configuration()?;
    telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Worker => {
            let db = case_tracker::startup::open_database(&settings.database)?;
            let worker = case_tracker::alerts::worker::Worker::new(
                db,
                settings.alerts.clone(),
                &settings.application.base_url,
            )?;
            let handle = worker.spawn()?;
            shutdown_signal().await?;
            tracing::info!("stopping the alert worker");
            actix_web::rt::task::spawn_blocking(move || handle.stop()).await?;
        }
        Command::Migrate => {
            // The command is the way to migrate when the service itself may not.
            let database = case_tracker::configuration::DatabaseSettings {
                migrate: true,
                ..settings.database.clone()
            };
            case_tracker::startup::open_database(&database)?;
            tracing::info!("database is up to date");
        }
        Command::Healthcheck => {
            let port = settings.application.port;
            if !healthy(port) {
                anyhow::bail!("no healthy server on port {port}");
            }
        }
        Command::Token { command } => {
            let db = case_tracker::startup::open_database(&settings.database)?;
            token_command(&db, command)?;
        }
        Command::Audit {
            command: AuditCommand::Verify { head },
        } => {
            use case_tracker::auth::chain::{verify, Verdict};
            let db = case_tracker::startup::open_database(&settings.database)?;
            let verdict = verify(&mut *db.get()?, head.as_ref())?;
            if let Verdict::Broken { .. } = verdict {
                anyhow::bail!("{verdict}");
            }
            println!("{verdict}");
        }
        Command::Generate {
            cases,
            events_per_case,
        } => {
            let db = case_tracker::startup::open_database(&settings.database)?;
            let mut conn = db.get()?;
            let plan = case_tracker::generate::Plan {
                cases,
                events_per_case,
            };
            case_tracker::generate::generate(&mut conn, plan, |done| {
                if done % 10_000 == 0 || done == cases {
                    eprintln!("{done} of {cases} cases written");
                }
            })?;
            println!(
                "generated {cases} cases with {} events",
                cases * events_per_case
            );
        }
        Command::Demo => {
            let db = case_tracker::startup::open_database(&settings.database)?;
            let summary = demo::load(&db, &settings.application.default_actor)?;
            println!("{summary}");
        }
    }
    Ok(())
}

/// Waits for Ctrl-C or, on Unix, SIGTERM (what container runtimes send).
async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let interrupt = Box::pin(actix_web::rt::signal::ctrl_c());
        let term = Box::pin(terminate.recv());
        let outcome = match futures_util::future::select(interrupt, term).await {
            futures_util::future::Either::Left((result, _)) => result,
            futures_util::future::Either::Right(_) => Ok(()),
        };
        outcome
    }
    #[cfg(not(unix))]
    {
        actix_web::rt::signal::ctrl_c().await
    }
}

/// A plain HTTP/1.0 GET of /health on the loopback interface.
fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    use std::time::Duration;
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
    if stream
        .write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

fn token_command(db: &db::Db, command: TokenCommand) -> anyhow::Result<()> {
    use case_tracker::auth::{store, CreateToken, NewSubscriber};
    let mut conn = db.get()?;
    match command {
        TokenCommand::Create {
            role,
            name,
            expires_in_days,
            email,
            organisation,
        } => {
            let subscriber = email.map(|email| NewSubscriber {
                name: name.clone(),
                organisation,
                email,
            });
            let expires_at = expires_in_days
                .map(|days| (chrono::Utc::now() + chrono::Duration::days(days)).fixed_offset());
            let body = serde_json::json!({ "name": name, "role": role });
            // The role and name go through the API's own parsing and rules.
            let mut request: CreateToken = case_tracker::http::parse_body(body)
                .map_err(|errors| anyhow::anyhow!("{errors:?}"))?;
            request.expires_at = expires_at;
            request.subscriber = subscriber;
            validator::Validate::validate(&request).map_err(|errors| {
                anyhow::anyhow!("{:?}", case_tracker::http::validation_errors(&errors))
            })?;
            if (request.role == case_tracker::vocabulary::Role::Partner)
                != request.subscriber.is_some()
            {
                anyhow::bail!("a partner token needs --email (and only a partner token takes one)");
            }
            let issued = db::write_transaction(&mut conn, |conn| {
                let subscriber = case_tracker::subscriptions::store::subscriber_of(conn, &request)?;
                store::issue(conn, request, subscriber, "command line")
            })?;
            eprintln!(
                "issued {} token {} for {}; keep the secret below, it is not shown again",
                issued.token.role, issued.token.id, issued.token.name
            );
            println!("{}", issued.token_secret);
        }
        TokenCommand::Revoke { id } => {
            db::write_transaction(&mut conn, |conn| store::revoke(conn, &id, "command line"))?;
            eprintln!("revoked token {id}");
        }
    }
    Ok(())
}
