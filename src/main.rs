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
    /// Exit 0 if the local server answers /health (for container health checks).
    Healthcheck,
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
        Command::Migrate => {
            db::Db::connect(&settings.database)?;
            tracing::info!("database is up to date");
        }
        Command::Healthcheck => {
            let port = settings.application.port;
            if !healthy(port) {
                anyhow::bail!("no healthy server on port {port}");
            }
        }
        Command::Demo => {
            let db = db::Db::connect(&settings.database)?;
            let summary = demo::load(&db, &settings.application.default_actor)?;
            println!("{summary}");
        }
    }
    Ok(())
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
