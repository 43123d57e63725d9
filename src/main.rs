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
        Command::Demo => {
            let db = db::Db::connect(&settings.database)?;
            let summary = demo::load(&db, &settings.application.default_actor)?;
            println!("{summary}");
        }
    }
    Ok(())
}
