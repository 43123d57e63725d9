//! The records of a case: charges, trials, hearings, sentences. A kind of record
//! declares what is its own (its table, its input types, its checks, how its changes
//! read in the story); reading it as a reader may see it, paging, creating, changing
//! it at the version the client names, deleting it with a change record that keeps its
//! last values, and its routes with their OpenAPI descriptions come from here.
//!
//! A write returns the change record it causes; the caller hands it to `effects`,
//! which carries out what a change sets off.

mod access;
mod table;

pub use access::{hidden_defenders, CaseAccess};

use crate::audience::Visibility;
use crate::changes::{diff, ChangeRecord};
use crate::db::DbConnection;
use crate::http::PageKey;
use crate::schema::{case_defenders, cases, defenders, trials};
use crate::store::{StoreError, StoreResult};
use crate::vocabulary::ChangeKind;
use diesel::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// What a kind of record is listed and created under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    Case,
    Trial,
}

impl Parent {
    pub fn kind(self) -> &'static str {
        match self {
            Parent::Case => "case",
            Parent::Trial => "trial",
        }
    }

    pub fn collection(self) -> &'static str {
        match self {
            Parent::Case => "cases",
            Parent::Trial => "trials",
        }
    }

    /// The case a parent record belongs to and whether it is confidential, if the
    /// parent exists in a case not deleted.
    fn case_of(self, conn: &mut DbConnection, id: &str) -> StoreResult<(String, bool)> {
        let found = match self {
            Parent::Case => cases::table
                .find(id)
                .filter(cases::deleted_at.is_null())
                .select((cases::id, cases::confidential))
                .first(conn)
                .optional()?,
            Parent::Trial => trials::table
                .inner_join(cases::table)
                .filter(trials::id.eq(id))
                .filter(cases::deleted_at.is_null())
                .select((trials::case_id, cases::confidential))
                .first(conn)
                .optional()?,
        };
        found.ok_or(StoreError::NotFound(self.kind()))
    }
}

/// The parent a new record is created under.
#[derive(Debug, Clone)]
pub struct ParentRef {
    pub id: String,
    pub case_id: String,
}

/// A kind's row in the story: its event kind and its title.
pub struct Story {
    pub kind: ChangeKind,
    pub title: String,
}

impl Story {
    pub fn new(kind: ChangeKind, title: impl Into<String>) -> Self {
        Story {
            kind,
            title: title.into(),
        }
    }
}

/// The storage half of a kind of record, written by `case_record_table!`.
pub trait Stored: Sized {
    /// The keyset position in its parent's list.
    type Key: PageKey;

    fn id(&self) -> &str;
    fn case_id(&self) -> &str;
    fn version(&self) -> i64;
    fn key(&self) -> Self::Key;
    /// The next version of the record, stamped now.
    fn bump(&mut self, previous_version: i64);

    /// The record, if its case is not deleted.
    fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>>;
    /// All of a case's, in list order.
    fn of_case(conn: &mut DbConnection, case_id: &str) -> QueryResult<Vec<Self>>;
    /// A page of a parent's, after `after`.
    fn page(
        conn: &mut DbConnection,
        parent_id: &str,
        after: Option<Self::Key>,
        limit: i64,
    ) -> QueryResult<Vec<Self>>;
    fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize>;
    /// Writes `self` over the row at `version`; 0 rows if it was at another version.
    fn save(&self, conn: &mut DbConnection, version: i64) -> QueryResult<usize>;
    /// Deletes the row at its version; 0 rows if it was changed meanwhile.
    fn remove(&self, conn: &mut DbConnection) -> QueryResult<usize>;
}

/// A kind of record of a case.
pub trait CaseRecord: Stored + Clone + Send + 'static {
    /// As the API and the story name one: "charge".
    const KIND: &'static str;
    /// The path segment of its collection and its OpenAPI tag: "charges".
    const COLLECTION: &'static str;
    const PARENT: Parent;

    type Create: DeserializeOwned + validator::Validate + utoipa::ToSchema + Send + 'static;
    type Update: DeserializeOwned + validator::Validate + utoipa::ToSchema + Send + 'static;
    /// What the API shows: the record, or (a hearing) the record in its court's time.
    type View: Serialize + utoipa::ToSchema + From<Self> + Send + 'static;

    /// The defender it concerns: partners see nothing about a confidential defender.
    fn defender_id(&self) -> Option<&str> {
        None
    }

    /// The record a valid input makes, with the rules across its fields checked.
    fn create(input: Self::Create, parent: &ParentRef) -> StoreResult<Self>;
    /// The record after a change, with the rules across its fields checked.
    fn apply(patch: Self::Update, current: &Self) -> StoreResult<Self>;
    /// Rules against other records, before a create or a change is written.
    fn check(_conn: &mut DbConnection, _next: &Self, _current: Option<&Self>) -> StoreResult<()> {
        Ok(())
    }
    /// Whether it may be deleted: a record others still need may not.
    fn check_delete(_conn: &mut DbConnection, _record: &Self) -> StoreResult<()> {
        Ok(())
    }
    /// What the story names besides the record's own fields: by default the name of
    /// its defender.
    fn subject(conn: &mut DbConnection, record: &Self) -> StoreResult<String> {
        match record.defender_id() {
            Some(id) => Ok(defenders::table
                .find(id)
                .select(defenders::name)
                .first(conn)
                .optional()?
                .unwrap_or_else(|| "unknown defender".into())),
            None => Ok(String::new()),
        }
    }
    fn created(&self, subject: &str) -> Story;
    fn updated(current: &Self, next: &Self, subject: &str) -> Story;
    fn deleted(&self, subject: &str) -> Story;
}

/// The record with that id, whoever asks (for writes, by staff).
pub fn get<R: CaseRecord>(conn: &mut DbConnection, id: &str) -> StoreResult<R> {
    R::find(conn, id)?.ok_or(StoreError::NotFound(R::KIND))
}

/// The record as `visibility` may see it, and the confidential records the read
/// touches (for the audit log).
pub fn read<R: CaseRecord>(
    conn: &mut DbConnection,
    id: &str,
    visibility: Visibility,
) -> StoreResult<(R, Vec<String>)> {
    let record: R = get(conn, id)?;
    let mut access = CaseAccess::load(conn, record.case_id(), visibility, R::KIND)?;
    if record.defender_id().is_some() {
        access.load_hidden(conn)?;
    }
    if !access.may_see(record.defender_id()) {
        return Err(StoreError::NotFound(R::KIND));
    }
    let reads = access.reads(record.defender_id());
    Ok((record, reads))
}

/// Up to `limit` records of a parent after `after`, and what the reader may see of
/// their case; the caller leaves out what it may not, after paging, so that the
/// cursor follows the rows.
pub fn page<R: CaseRecord>(
    conn: &mut DbConnection,
    parent_id: &str,
    visibility: Visibility,
    after: Option<R::Key>,
    limit: i64,
) -> StoreResult<(Vec<R>, CaseAccess)> {
    let (case_id, confidential) = R::PARENT.case_of(conn, parent_id)?;
    let mut access = CaseAccess::new(&case_id, confidential, visibility, R::PARENT.kind())?;
    let rows = R::page(conn, parent_id, after, limit)?;
    if rows.iter().any(|r| r.defender_id().is_some()) {
        access.load_hidden(conn)?;
    }
    Ok((rows, access))
}

/// A case's records of one kind as `visibility` may see them.
pub fn of_case<R: CaseRecord>(conn: &mut DbConnection, access: &CaseAccess) -> StoreResult<Vec<R>> {
    let mut rows = R::of_case(conn, &access.case_id)?;
    rows.retain(|r| access.may_see(r.defender_id()));
    Ok(rows)
}

fn change<R: CaseRecord>(
    record: &R,
    story: Story,
    changes: serde_json::Map<String, serde_json::Value>,
) -> ChangeRecord {
    ChangeRecord {
        case_id: record.case_id().to_string(),
        kind: story.kind,
        record_type: R::KIND,
        record_id: record.id().to_string(),
        title: story.title,
        changes,
        defender_ids: record
            .defender_id()
            .map(str::to_string)
            .into_iter()
            .collect(),
    }
}

fn view<R: CaseRecord>(record: &R) -> R::View {
    R::View::from(record.clone())
}

/// Creates a record under a parent; returns it and its change record.
pub fn create<R: CaseRecord>(
    conn: &mut DbConnection,
    parent_id: &str,
    input: R::Create,
) -> StoreResult<(R, ChangeRecord)> {
    let (case_id, _) = R::PARENT.case_of(conn, parent_id)?;
    let parent = ParentRef {
        id: parent_id.to_string(),
        case_id,
    };
    let record = R::create(input, &parent)?;
    R::check(conn, &record, None)?;
    record.insert(conn)?;
    let subject = R::subject(conn, &record)?;
    let story = record.created(&subject);
    let changes = diff(None, Some(&view(&record)));
    let change = change(&record, story, changes);
    Ok((record, change))
}

/// Changes a record read in this transaction; returns it and, unless nothing
/// changed, its change record.
pub fn update<R: CaseRecord>(
    conn: &mut DbConnection,
    current: &R,
    patch: R::Update,
) -> StoreResult<(R, Option<ChangeRecord>)> {
    let mut next = R::apply(patch, current)?;
    R::check(conn, &next, Some(current))?;
    next.bump(current.version());
    if next.save(conn, current.version())? == 0 {
        return Err(StoreError::Stale(R::KIND));
    }
    let changes = diff(Some(&view(current)), Some(&view(&next)));
    if changes.is_empty() {
        return Ok((next, None));
    }
    let subject = R::subject(conn, &next)?;
    let story = R::updated(current, &next, &subject);
    let change = change(&next, story, changes);
    Ok((next, Some(change)))
}

/// Deletes a record read in this transaction; its change record keeps its last values.
pub fn delete<R: CaseRecord>(conn: &mut DbConnection, record: &R) -> StoreResult<ChangeRecord> {
    R::check_delete(conn, record)?;
    if record.remove(conn)? == 0 {
        return Err(StoreError::Stale(R::KIND));
    }
    let subject = R::subject(conn, record)?;
    let story = record.deleted(&subject);
    Ok(change(record, story, diff(Some(&view(record)), None)))
}

/// Sets a field to the value a change gives, if it gives one.
pub fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// Why a defender named by a record of a case is refused.
pub const NOT_LINKED: &str = "must be a defender linked to this case";

/// Whether the defender is linked to the case.
pub fn is_linked(conn: &mut DbConnection, case_id: &str, defender_id: &str) -> StoreResult<bool> {
    let linked: i64 = case_defenders::table
        .find((case_id, defender_id))
        .count()
        .get_result(conn)?;
    Ok(linked > 0)
}

/// 422 on `defender_id` unless the defender is linked to the case; a record that
/// keeps its defender (`previous`) is not checked again.
pub fn require_linked(
    conn: &mut DbConnection,
    case_id: &str,
    defender_id: &str,
    previous: Option<&str>,
) -> StoreResult<()> {
    if previous == Some(defender_id) || is_linked(conn, case_id, defender_id)? {
        return Ok(());
    }
    Err(crate::store::invalid("defender_id", NOT_LINKED))
}
