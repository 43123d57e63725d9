//! The delivery worker: a loop on its own thread (inside `serve`) or process
//! (`case-tracker worker`). Several may run against one PostgreSQL database: claims
//! use `FOR UPDATE SKIP LOCKED`, so no two workers take the same alert.

use super::mail::{Composed, Composer, Mailer};
use super::{store, Alert};
use crate::configuration::AlertSettings;
use crate::db::{now, Db};
use chrono::{Duration, NaiveDateTime, Timelike};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct Worker {
    db: Db,
    settings: AlertSettings,
    composer: Composer,
    mailer: Mailer,
}

/// Stops a worker thread when asked or dropped.
pub struct WorkerHandle {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WorkerHandle {
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the alert worker panicked");
            }
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What one pass of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Alerts claimed by this pass.
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Worker {
    pub fn new(db: Db, settings: AlertSettings, base_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            composer: Composer::new(&settings, base_url)?,
            mailer: Mailer::from_settings(&settings)?,
            db,
            settings,
        })
    }

    /// Runs the loop on a new thread until the handle is stopped or dropped.
    pub fn spawn(self) -> std::io::Result<WorkerHandle> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("alert-worker".into())
            .spawn(move || self.run(&flag))?;
        Ok(WorkerHandle {
            stop,
            thread: Some(thread),
        })
    }

    /// Works until `stop` is set; a pass that finds a full batch goes on at once.
    pub fn run(&self, stop: &AtomicBool) {
        let _span = tracing::info_span!("alert_worker").entered();
        tracing::info!("alert worker started");
        let pause = std::time::Duration::from_millis(self.settings.poll_interval_ms.max(10));
        while !stop.load(Ordering::SeqCst) {
            let busy = match self.pass() {
                Ok(pass) => pass.claimed >= self.settings.batch_size.max(1) as usize,
                Err(e) => {
                    tracing::error!(error = %e, "alert worker pass failed");
                    false
                }
            };
            if busy {
                continue;
            }
            let until = std::time::Instant::now() + pause;
            while !stop.load(Ordering::SeqCst) && std::time::Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(10).min(pause));
            }
        }
        tracing::info!("alert worker stopped");
    }

    /// One pass: queue due reminders and digests, then claim and deliver a batch.
    pub fn pass(&self) -> anyhow::Result<Pass> {
        let at = now();
        let mut conn = self.db.get()?;
        // Reminders and digests are looked for with reads; the write lock (on SQLite,
        // the whole database's) is taken only when one is due.
        let due = store::due_reminders(&mut conn, at, self.settings.reminder_days)?;
        if !due.is_empty() {
            self.db
                .transaction(&mut conn, |c| Ok(store::queue_reminders(c, &due)?))?;
        }
        let slot = last_digest_slot(at, self.settings.digest_hour_utc);
        if store::digest_due(&mut conn, slot)? {
            self.db
                .transaction(&mut conn, |c| Ok(store::bundle_digests(c, slot)?))?;
        }
        let lease = Duration::seconds(self.settings.lease_seconds.max(1) as i64);
        let batch = self.settings.batch_size.max(1);
        let claimed = self
            .db
            .transaction(&mut conn, |c| Ok(store::claim(c, at, batch, lease)?))?;
        drop(conn);
        // One sender per pooled SMTP connection: a message spends most of its time
        // waiting on the network, so connections are used side by side.
        let senders = (self.settings.smtp.pool_size.max(1) as usize).min(claimed.len().max(1));
        let chunk = claimed.len().div_ceil(senders).max(1);
        let passes: Vec<Pass> = std::thread::scope(|scope| {
            let handles: Vec<_> = claimed
                .chunks(chunk)
                .map(|alerts| {
                    scope.spawn(move || {
                        let mut pass = Pass::default();
                        for alert in alerts {
                            if let Err(e) = self.deliver(alert, &mut pass) {
                                // The lease runs out and the alert is tried again.
                                tracing::error!(alert = %alert.id, error = %e, "could not deliver an alert");
                            }
                        }
                        pass
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut pass = Pass {
            claimed: claimed.len(),
            ..Pass::default()
        };
        for p in passes {
            pass.sent += p.sent;
            pass.retried += p.retried;
            pass.failed += p.failed;
            pass.skipped += p.skipped;
        }
        Ok(pass)
    }

    fn deliver(&self, alert: &Alert, pass: &mut Pass) -> anyhow::Result<()> {
        // Each alert's lines belong to it, on whichever sender thread it goes out.
        let _span =
            tracing::info_span!("alert", alert_id = %alert.id, kind = %alert.kind).entered();
        let composed = {
            let mut conn = self.db.get()?;
            self.composer.compose(&mut conn, alert)?
        };
        // No database connection is held while talking to the SMTP server.
        match composed {
            Composed::Skip {
                status,
                reason,
                ids,
            } => {
                self.write(|c| Ok(store::mark_skipped(c, &ids, status, &reason)?))?;
                tracing::info!(alert = %alert.id, %status, %reason, "alert not sent");
                pass.skipped += 1;
            }
            Composed::Send {
                message,
                carried,
                dropped,
            } => match self.mailer.send(&message) {
                Ok(()) => {
                    self.write(|c| {
                        if !dropped.is_empty() {
                            store::mark_skipped(
                                c,
                                &dropped,
                                crate::vocabulary::AlertStatus::Suppressed,
                                "the change may no longer be sent",
                            )?;
                        }
                        Ok(store::mark_sent(c, alert, &carried)?)
                    })?;
                    tracing::info!(alert = %alert.id, kind = %alert.kind, "alert sent");
                    pass.sent += 1;
                }
                Err(error) => {
                    let attempts = alert.attempts + 1;
                    let next = (!error.permanent && attempts < self.settings.max_attempts)
                        .then(|| now() + self.backoff(attempts));
                    self.write(|c| {
                        Ok(store::mark_attempt_failed(c, alert, &error.message, next)?)
                    })?;
                    match next {
                        Some(at) => {
                            tracing::warn!(alert = %alert.id, attempts, error = %error.message, retry_at = %at, "alert delivery failed; will retry");
                            pass.retried += 1;
                        }
                        None => {
                            tracing::error!(alert = %alert.id, attempts, error = %error.message, "alert delivery failed for good");
                            pass.failed += 1;
                        }
                    }
                }
            },
        }
        Ok(())
    }

    fn write<F>(&self, f: F) -> anyhow::Result<()>
    where
        F: FnOnce(&mut crate::db::DbConnection) -> crate::error::ApiResult<()>,
    {
        let mut conn = self.db.get()?;
        Ok(self.db.transaction(&mut conn, f)?)
    }

    /// base × 2^(attempts − 1), capped.
    fn backoff(&self, attempts: i32) -> Duration {
        let exponent = (attempts.max(1) - 1).min(30) as u32;
        let ms = self
            .settings
            .retry_base_ms
            .saturating_mul(1u64 << exponent)
            .min(self.settings.retry_max_ms);
        Duration::milliseconds(ms as i64)
    }
}

/// The latest digest time at or before `at`: changes recorded before it are due.
pub fn last_digest_slot(at: NaiveDateTime, hour: u32) -> NaiveDateTime {
    let today = at.date().and_hms_opt(hour.min(23), 0, 0).unwrap_or(at);
    if at.hour() >= hour.min(23) {
        today
    } else {
        today - Duration::days(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_slot_is_the_latest_digest_hour_not_after_now() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            last_digest_slot(at("2026-11-27 08:30"), 7),
            at("2026-11-27 07:00")
        );
        assert_eq!(
            last_digest_slot(at("2026-11-27 07:00"), 7),
            at("2026-11-27 07:00")
        );
        assert_eq!(
            last_digest_slot(at("2026-11-27 06:59"), 7),
            at("2026-11-26 07:00")
        );
    }
}
