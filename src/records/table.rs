//! `case_record_table!`: the storage of a kind of record, from its table. Diesel's
//! query types differ per table, so the statements are written out per kind by the
//! macro rather than through generic bounds; each is the same for every kind.
//!
//! The record's struct derives `Queryable`, `Selectable`, `Insertable` and
//! `AsChangeset` for the table and has the fields `id`, `case_id`, `version` and
//! `updated_at`; `parent` names the field that holds its parent's id.

#[macro_export]
macro_rules! case_record_table {
    // Listed in id (creation) order.
    ($record:ty, $table:ident, parent = $parent:ident) => {
        $crate::case_record_table!(@stored $record, $table, $parent, String,
            |r: &$record| r.id.clone(),
            [query, after] query.filter($crate::schema::$table::id.gt(after)),
            ($crate::schema::$table::id,));
    };
    // Listed by an instant, then id.
    ($record:ty, $table:ident, parent = $parent:ident, by = $column:ident) => {
        $crate::case_record_table!(@stored $record, $table, $parent,
            (chrono::NaiveDateTime, String),
            |r: &$record| (r.$column, r.id.clone()),
            [query, after] {
                use $crate::schema::$table as t;
                let (at, id) = after;
                query.filter(t::$column.gt(at).or(t::$column.eq(at).and(t::id.gt(id))))
            },
            ($crate::schema::$table::$column, $crate::schema::$table::id));
    };
    (@stored $record:ty, $table:ident, $parent:ident, $key:ty, $key_of:expr,
     [$query:ident, $after:ident] $filter:expr, $order:expr) => {
        impl $crate::records::Stored for $record {
            type Key = $key;

            fn id(&self) -> &str {
                &self.id
            }

            fn case_id(&self) -> &str {
                &self.case_id
            }

            fn version(&self) -> i64 {
                self.version
            }

            fn key(&self) -> $key {
                ($key_of)(self)
            }

            fn bump(&mut self, previous_version: i64) {
                self.version = previous_version + 1;
                self.updated_at = $crate::db::now();
            }

            fn find(
                conn: &mut $crate::db::DbConnection,
                id: &str,
            ) -> diesel::QueryResult<Option<Self>> {
                use $crate::schema::{cases, $table as t};
                use diesel::prelude::*;
                t::table
                    .inner_join(cases::table)
                    .filter(t::id.eq(id))
                    .filter(cases::deleted_at.is_null())
                    .select(<$record>::as_select())
                    .first(conn)
                    .optional()
            }

            fn of_case(
                conn: &mut $crate::db::DbConnection,
                case_id: &str,
            ) -> diesel::QueryResult<Vec<Self>> {
                use $crate::schema::$table as t;
                use diesel::prelude::*;
                t::table
                    .filter(t::case_id.eq(case_id))
                    .order($order)
                    .select(<$record>::as_select())
                    .load(conn)
            }

            fn page(
                conn: &mut $crate::db::DbConnection,
                parent_id: &str,
                after: Option<$key>,
                limit: i64,
            ) -> diesel::QueryResult<Vec<Self>> {
                use $crate::schema::$table as t;
                use diesel::prelude::*;
                let mut $query = t::table
                    .filter(t::$parent.eq(parent_id.to_string()))
                    .select(<$record>::as_select())
                    .into_boxed();
                if let Some($after) = after {
                    $query = $filter;
                }
                $query.order($order).limit(limit).load(conn)
            }

            fn insert(&self, conn: &mut $crate::db::DbConnection) -> diesel::QueryResult<usize> {
                use diesel::prelude::*;
                diesel::insert_into($crate::schema::$table::table)
                    .values(self)
                    .execute(conn)
            }

            fn save(
                &self,
                conn: &mut $crate::db::DbConnection,
                version: i64,
            ) -> diesel::QueryResult<usize> {
                use $crate::schema::$table as t;
                use diesel::prelude::*;
                diesel::update(t::table.find(&self.id).filter(t::version.eq(version)))
                    .set(self)
                    .execute(conn)
            }

            fn remove(&self, conn: &mut $crate::db::DbConnection) -> diesel::QueryResult<usize> {
                use $crate::schema::$table as t;
                use diesel::prelude::*;
                diesel::delete(t::table.find(&self.id).filter(t::version.eq(self.version)))
                    .execute(conn)
            }
        }
    };
}
