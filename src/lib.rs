//! The urgent-intervention case tracker: a REST service for organisations that follow
//! human-rights defenders at risk.

pub mod alerts;
pub mod api;
pub mod audience;
pub mod auth;
pub mod cases;
pub mod changes;
pub mod charges;
pub mod configuration;
pub mod countries;
pub mod db;
pub mod defenders;
pub mod demo;
pub mod domain;
pub mod effects;
pub mod error;
pub mod events;
pub mod generate;
pub mod hearings;
pub mod http;
pub mod interventions;
pub mod openapi;
pub mod records;
pub mod schema;
pub mod search;
pub mod sentences;
pub mod startup;
pub mod store;
pub mod subscriptions;
pub mod telemetry;
pub mod trials;
pub mod vocabulary;
