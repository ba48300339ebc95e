//! `obbackup-planner`: the pure core of obbackup. No I/O, clock or environment:
//! callers pass text, rows and variables in, and get models and text out.
//!
//! Pipeline (DESIGN.md §1): [`config::decode`] (HCL → `Config`) →
//! the dialect's `resolve` (→ desired state) ; rows of the fixed reads in [`sql`] →
//! [`live::from_rows`] (→ `LiveState`) ; the dialect's `compared` and
//! [`change::changes`] (→ changes, one comparison for both lines) →
//! [`plan::plan`] (→ ordered steps with rule-labelled edges) → [`render`].

pub mod address;
pub mod change;
pub mod config;
pub mod desired;
pub mod destination;
pub mod diagnostic;
pub mod dialect;
pub mod export;
pub mod format;
pub mod freshness;
pub mod graph;
pub mod health;
pub mod ignore;
pub mod live;
pub mod metrics;
pub mod oneshot;
pub mod plan;
pub mod planfile;
pub mod recovery;
pub mod render;
pub mod retention;
pub mod rules;
pub mod secret;
pub mod sql;
pub mod states;
pub mod status;
pub mod step;
pub mod units;
pub mod walk;
