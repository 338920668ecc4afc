//! The terminal: questions on stderr, answers from stdin, one question at a
//! time, and a progress bar that steps aside while a question is asked.

use std::io::{BufRead, Write};
use std::sync::{Mutex, PoisonError};

use indicatif::{ProgressBar, ProgressStyle};

/// Shared by every thread that talks to the person at the terminal.
pub(crate) struct Term {
    /// Held for a whole exchange (a form), so questions never interleave.
    asking: Mutex<()>,
    bar: Mutex<Option<ProgressBar>>,
    input: Mutex<Box<dyn BufRead + Send>>,
}

impl Term {
    pub(crate) fn new(input: Box<dyn BufRead + Send>) -> Term {
        Term {
            asking: Mutex::new(()),
            bar: Mutex::new(None),
            input: Mutex::new(input),
        }
    }

    /// Runs `f` with exclusive use of the terminal, the progress bar hidden.
    pub(crate) fn exclusive<R>(&self, f: impl FnOnce(&Self) -> R) -> R {
        let _guard = self.asking.lock().unwrap_or_else(PoisonError::into_inner);
        let bar = self
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match bar {
            Some(b) => b.suspend(|| f(self)),
            None => f(self),
        }
    }

    /// Writes a line for the person (stderr, so stdout stays the result).
    pub(crate) fn say(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    /// Asks and reads one line; `None` when input has ended.
    pub(crate) fn ask(&self, question: &str) -> Option<String> {
        {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{question}");
            let _ = err.flush();
        }
        let mut line = String::new();
        let mut input = self.input.lock().unwrap_or_else(PoisonError::into_inner);
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_owned()),
        }
    }

    /// Shows progress of a call (hidden when stderr is not a terminal).
    pub(crate) fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let mut bar = self.bar.lock().unwrap_or_else(PoisonError::into_inner);
        let b = bar.get_or_insert_with(|| {
            let b = ProgressBar::new(100);
            b.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b
        });
        match total {
            Some(t) if t > 0.0 => {
                b.set_length(t.ceil() as u64);
                b.set_position(progress.min(t) as u64);
            }
            _ => b.set_position(progress as u64),
        }
        if let Some(m) = message {
            b.set_message(m.to_owned());
        }
    }

    /// Removes the progress bar, if one is shown.
    pub(crate) fn finish_progress(&self) {
        if let Some(b) = self
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            b.finish_and_clear();
        }
    }
}
