//! The five routes of a kind of record, and their OpenAPI description:
//! `GET` and `POST /{parent}/{id}/{collection}`, `GET`, `PATCH` and
//! `DELETE /{collection}/{id}`.

use crate::auth::Actor;
use crate::auth::{note_confidential_read, redact, Visibility};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::{created, no_content, ok_versioned, ApiJson, ApiQuery, IfMatch, Page, PageQuery};
use crate::records::CaseRecord;
use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::{guard, web, HttpRequest, HttpResponse};
use std::marker::PhantomData;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem, Paths,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

async fn list<R: CaseRecord>(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
    query: ApiQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let parent_id = id.into_inner();
    let page = query.page::<R::Key>()?;
    let (after, fetch) = (page.after.clone(), page.fetch());
    let (rows, access) = db
        .read(move |conn| {
            Ok(crate::records::page::<R>(
                conn, &parent_id, vis, after, fetch,
            )?)
        })
        .await?;
    let mut page = Page::from_rows(rows, &page, |r| r.key());
    // Left out after paging, so that the cursor still follows the rows.
    page.items.retain(|r| access.may_see(r.defender_id()));
    note_confidential_read(
        &req,
        access.reads(page.items.iter().filter_map(R::defender_id)),
    );
    Ok(HttpResponse::Ok().json(redact(vis, &page.map(R::View::from))))
}

async fn create<R: CaseRecord>(
    req: HttpRequest,
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<R::Create>,
) -> ApiResult<HttpResponse> {
    let parent_id = id.into_inner();
    let input = body.0;
    let record = db
        .write(move |conn| {
            let (record, change) = crate::records::create::<R>(conn, &parent_id, input)?;
            crate::effects::record(conn, &actor.0, change)?;
            Ok(record)
        })
        .await?;
    let path = format!("/api/v1/{}/{}", R::COLLECTION, record.id());
    let version = record.version();
    Ok(created(&req, &path, version, &R::View::from(record)))
}

async fn get<R: CaseRecord>(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (record, reads) = db
        .read(move |conn| Ok(crate::records::read::<R>(conn, &id, vis)?))
        .await?;
    note_confidential_read(&req, reads);
    let version = record.version();
    Ok(ok_versioned(version, &redact(vis, &R::View::from(record))))
}

async fn update<R: CaseRecord>(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
    body: ApiJson<R::Update>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let record = db
        .write(move |conn| {
            let current = crate::records::get::<R>(conn, &id)?;
            precondition.check(current.version())?;
            let (next, change) = crate::records::update(conn, &current, patch)?;
            crate::effects::record_all(conn, &actor.0, change)?;
            Ok(next)
        })
        .await?;
    let version = record.version();
    Ok(ok_versioned(version, &R::View::from(record)))
}

async fn delete<R: CaseRecord>(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let record = crate::records::get::<R>(conn, &id)?;
        precondition.check(record.version())?;
        let change = crate::records::delete(conn, &record)?;
        Ok(crate::effects::record(conn, &actor.0, change)?)
    })
    .await?;
    Ok(no_content())
}

/// The routes of a kind of record, registered with their OpenAPI description:
/// `.service(Routes::<Charge>::new())`.
pub struct Routes<R>(PhantomData<R>);

impl<R: CaseRecord> Routes<R> {
    pub fn new() -> Self {
        Routes(PhantomData)
    }

    fn collection() -> String {
        format!("/{}/{{id}}/{}", R::PARENT.collection(), R::COLLECTION)
    }

    fn item() -> String {
        format!("/{}/{{id}}", R::COLLECTION)
    }
}

impl<R: CaseRecord> Default for Routes<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: CaseRecord> HttpServiceFactory for Routes<R> {
    fn register(self, config: &mut AppService) {
        // One resource per method, as the route macros make them: another method falls
        // through to the service's 405 with `Allow`.
        let (collection, item) = (Self::collection(), Self::item());
        web::resource(collection.as_str())
            .guard(guard::Get())
            .to(list::<R>)
            .register(config);
        web::resource(collection.as_str())
            .guard(guard::Post())
            .to(create::<R>)
            .register(config);
        web::resource(item.as_str())
            .guard(guard::Get())
            .to(get::<R>)
            .register(config);
        web::resource(item.as_str())
            .guard(guard::Patch())
            .to(update::<R>)
            .register(config);
        web::resource(item.as_str())
            .guard(guard::Delete())
            .to(delete::<R>)
            .register(config);
    }
}

fn json(schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn path_id(description: Option<String>) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(description)
        .schema(Some(String::schema()))
        .build()
}

fn if_match() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("If-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some("The ETag of the version being changed (or `*`)"))
        .schema(Some(String::schema()))
        .build()
}

fn body<T: ToSchema>() -> Option<utoipa::openapi::request_body::RequestBody> {
    Some(
        RequestBodyBuilder::new()
            .content("application/json", json(Ref::from_schema_name(T::name())))
            .required(Some(Required::True))
            .build(),
    )
}

fn conflict() -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description("Conflicts with the current state")
        .content(
            "application/problem+json",
            json(Ref::from_schema_name("Problem")),
        )
        .build()
}

/// `Page_Charge`: the name utoipa gives a page of a kind in the schemas.
fn page_name<R: CaseRecord>() -> String {
    format!("Page_{}", R::View::name())
}

impl<R: CaseRecord> utoipa_actix_web::OpenApiFactory for Routes<R> {
    fn paths(&self) -> Paths {
        let tag = R::COLLECTION;
        let view = || json(Ref::from_schema_name(R::View::name()));
        let parent = Some(format!("The {} id", R::PARENT.kind()));
        let list = OperationBuilder::new()
            .tag(tag)
            .operation_id(Some("list"))
            .parameter(path_id(parent.clone()))
            .parameters(Some(PageQuery::into_params(|| Some(ParameterIn::Query))))
            .response(
                "200",
                ResponseBuilder::new().description("OK").content(
                    "application/json",
                    json(Ref::from_schema_name(page_name::<R>())),
                ),
            );
        let create = OperationBuilder::new()
            .tag(tag)
            .operation_id(Some("create"))
            .parameter(path_id(parent))
            .request_body(body::<R::Create>())
            .response(
                "201",
                ResponseBuilder::new()
                    .description("Created")
                    .content("application/json", view()),
            );
        let get = OperationBuilder::new()
            .tag(tag)
            .operation_id(Some("get"))
            .parameter(path_id(None))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("OK")
                    .content("application/json", view()),
            );
        let update = OperationBuilder::new()
            .tag(tag)
            .operation_id(Some("update"))
            .parameter(path_id(None))
            .parameter(if_match())
            .request_body(body::<R::Update>())
            .response(
                "200",
                ResponseBuilder::new()
                    .description("OK")
                    .content("application/json", view()),
            )
            .response("409", conflict());
        let delete = OperationBuilder::new()
            .tag(tag)
            .operation_id(Some("delete"))
            .parameter(path_id(None))
            .parameter(if_match())
            .response("204", ResponseBuilder::new().description("Done"))
            .response("409", conflict());
        let mut collection = PathItem::new(HttpMethod::Get, list);
        collection.merge_operations(PathItem::new(HttpMethod::Post, create));
        let mut item = PathItem::new(HttpMethod::Get, get);
        item.merge_operations(PathItem::new(HttpMethod::Patch, update));
        item.merge_operations(PathItem::new(HttpMethod::Delete, delete));
        Paths::builder()
            .path(Self::collection(), collection)
            .path(Self::item(), item)
            .build()
    }

    fn schemas(&self, schemas: &mut Vec<(String, RefOr<Schema>)>) {
        fn add<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            schemas.push((T::name().into(), T::schema()));
            T::schemas(schemas);
        }
        add::<R::View>(schemas);
        add::<R::Create>(schemas);
        add::<R::Update>(schemas);
        schemas.push((page_name::<R>(), Page::<R::View>::schema()));
        <Page<R::View> as ToSchema>::schemas(schemas);
    }
}
