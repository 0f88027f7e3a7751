//! Palisade's detection engine.
//!
//! Rules written in Falco's language (loaded by `palisade-rules`) are compiled once against
//! an event source's field table into a tree of typed tests, then into a flat program per
//! rule (each test jumps to the next on true or false). Each event meets only the rules that
//! can match it: rules are indexed by every cheap field they require values of (the
//! source's index field, e.g. the audit verb, and others such as the stage or the
//! resource), and the tests the index already decides are left out of the programs.
//! Sub-conditions shared by rules (macros) are evaluated once per event, `contains` tests
//! on a field with several literals share one automaton, and fields are read lazily from
//! the event. Windowed thresholds (a Palisade extension) and per-request de-duplication
//! across audit stages keep state that is bounded, not proportional to the number of
//! events.

pub mod compile;
pub mod engine;
pub mod field;
pub mod k8s_audit;
pub mod matchers;
pub mod output;
pub mod reference;

pub use compile::{CompileError, CompiledRule};
pub use engine::{Alert, Engine, EngineOptions, OutputGap, RuleMatching};
pub use field::{Event, FieldArg, FieldInfo, FieldTable, FieldValue, NOT_AVAILABLE, ResolvedField};
