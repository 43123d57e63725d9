//! Request parsing and response helpers shared by every resource: JSON bodies and
//! query strings that report every bad field, `If-Match`, keyset pages, ETags.

mod body;
mod fault;
mod fields;
mod page;
mod precondition;
mod query;

pub use body::ApiJson;
pub use fields::{
    cross_field, deserialize_collecting, nullable, parse_body, parse_bound_param,
    parse_vocab_param, present, validation_errors, Problems,
};
pub use page::{Cursor, Page, PageKey, PageRequest, DEFAULT_LIMIT, MAX_LIMIT};
pub use precondition::IfMatch;
pub use query::{ApiQuery, PageQuery};

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Serialize;

/// Settings the request helpers need, registered as app data.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub base_url: String,
    pub max_body_bytes: usize,
}

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// 200 with the resource and its ETag.
pub fn ok_versioned<T: Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// 201 with Location and ETag.
pub fn created<T: Serialize>(
    req: &HttpRequest,
    path: &str,
    version: i64,
    body: &T,
) -> HttpResponse {
    let base = req
        .app_data::<web::Data<HttpSettings>>()
        .map(|s| s.base_url.trim_end_matches('/').to_string())
        .unwrap_or_default();
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{base}{path}")))
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}
