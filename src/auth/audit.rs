//! Appends audit entries in groups: one writer thread commits every entry that has
//! arrived since its last commit in one transaction, and each request waits for the
//! commit that holds its entries. Under load, many requests share one commit (one
//! disk sync on SQLite) instead of paying one each; nothing is acknowledged before it
//! is durable.

use super::chain;
use super::store::AuditEntry;
use crate::db::Db;
use std::sync::mpsc;
use tokio::sync::oneshot;

type Batch = (Vec<AuditEntry>, oneshot::Sender<()>);

/// Most entries one commit takes.
const MAX_GROUP: usize = 512;

#[derive(Clone)]
pub struct AuditLog {
    queue: mpsc::Sender<Batch>,
}

impl AuditLog {
    /// Starts the writer thread; it ends when the last `AuditLog` is dropped.
    pub fn start(db: Db) -> std::io::Result<Self> {
        let (queue, incoming) = mpsc::channel::<Batch>();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_groups(&db, &incoming))?;
        Ok(Self { queue })
    }

    /// Appends `entries` and waits until they are committed (or failed to be, which
    /// is logged).
    pub async fn append(&self, entries: Vec<AuditEntry>) {
        if entries.is_empty() {
            return;
        }
        let (done, committed) = oneshot::channel();
        if self.queue.send((entries, done)).is_err() {
            tracing::error!("the audit writer has stopped; entries are lost");
            return;
        }
        // An error here means the writer dropped the batch after logging why.
        let _ = committed.await;
    }
}

fn write_groups(db: &Db, incoming: &mpsc::Receiver<Batch>) {
    while let Ok(first) = incoming.recv() {
        let mut group = vec![first];
        let mut count = group[0].0.len();
        while count < MAX_GROUP {
            match incoming.try_recv() {
                Ok(batch) => {
                    count += batch.0.len();
                    group.push(batch);
                }
                Err(_) => break,
            }
        }
        let entries: Vec<AuditEntry> = group.iter().flat_map(|(e, _)| e.iter().cloned()).collect();
        let result = db
            .get()
            .and_then(|mut conn| db.transaction(&mut conn, |c| chain::append(c, &entries)));
        if let Err(e) = result {
            tracing::error!(error = %e, entries = entries.len(), "could not write the audit log");
        }
        for (_, done) in group {
            let _ = done.send(());
        }
    }
}
