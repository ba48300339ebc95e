//! Interruptions: SIGINT (Ctrl-C) and SIGTERM during an apply. The first one
//! asks the executor to stop launching steps (a running statement finishes or
//! times out, a wait is abandoned) and to report what ran; a second one exits
//! at once. Exit codes follow the shell's convention: 130 for SIGINT, 143 for
//! SIGTERM.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::sync::Notify;

/// A request to stop, shared between the signal listener and the executor.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    /// 0 until a signal arrives, then the exit code it asks for.
    code: Arc<AtomicU8>,
    woken: Arc<Notify>,
}

impl Interrupt {
    /// An interrupt nothing will ever trigger (tests, one-shot commands).
    pub fn never() -> Self {
        Self::default()
    }

    /// Listens for SIGINT and SIGTERM (Ctrl-C elsewhere) on the running tokio
    /// runtime. The handlers are in place when this returns (a signal that
    /// arrives a moment later is never the default one that kills the
    /// process). A second signal ends the process at once with its code.
    pub fn install() -> Self {
        let interrupt = Self::default();
        let listener = interrupt.clone();
        let mut signals = Signals::register();
        tokio::spawn(async move {
            loop {
                let code = signals.next().await;
                if listener.code.load(Ordering::SeqCst) != 0 {
                    std::process::exit(i32::from(code));
                }
                crate::output::info(
                    "interrupted: no further step starts; a running statement finishes, then the report follows (interrupt again to exit at once)",
                );
                listener.trigger(code);
            }
        });
        interrupt
    }

    /// Marks the run as interrupted with exit `code` and wakes any wait.
    pub fn trigger(&self, code: u8) {
        self.code.store(code, Ordering::SeqCst);
        self.woken.notify_waiters();
    }

    /// The exit code asked for, once interrupted.
    pub fn requested(&self) -> Option<u8> {
        match self.code.load(Ordering::SeqCst) {
            0 => None,
            code => Some(code),
        }
    }

    /// Completes when the run is interrupted.
    pub async fn wait(&self) {
        loop {
            let woken = self.woken.notified();
            if self.requested().is_some() {
                return;
            }
            woken.await;
        }
    }
}

/// The signal handlers of [`Interrupt::install`], registered at once.
#[cfg(unix)]
struct Signals(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

#[cfg(unix)]
impl Signals {
    /// Registers SIGINT and SIGTERM now (`None` when the runtime cannot:
    /// signals then keep their default action).
    fn register() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(interrupt), Ok(terminate)) => Self(Some((interrupt, terminate))),
            _ => Self(None),
        }
    }

    /// The exit code of the next signal: 130 for SIGINT, 143 for SIGTERM.
    async fn next(&mut self) -> u8 {
        let Some((interrupt, terminate)) = self.0.as_mut() else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => 130,
            _ = terminate.recv() => 143,
        }
    }
}

/// Ctrl-C where there are no Unix signals.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn register() -> Self {
        Self
    }

    async fn next(&mut self) -> u8 {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}
