//! Integration tests of tigr-server over real HTTP, one test per rule of DESIGN §3 and more.

mod common;

mod binding;
mod enrollment;
mod http;
mod lockout;
mod single_use;
mod storage;
mod web;
