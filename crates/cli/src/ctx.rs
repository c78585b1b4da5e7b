//! What every command works with: the client, the output format, the project; and how
//! long actions are followed (`--wait`).

use crate::output::{Output, print_json, print_one};
use anyhow::bail;
use gureum_api_types::*;
use gureum_client::{Client, ClientError, OperationProgress};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::IsTerminal;
use std::time::Duration;
use uuid::Uuid;

/// How long `--wait` follows an operation before giving up (the operation goes on).
const WAIT_TIMEOUT: Duration = Duration::from_secs(3600);

pub struct Ctx {
    pub client: Client,
    pub output: Output,
    pub project: Option<String>,
}

impl Ctx {
    /// The project of project-scoped commands.
    pub fn project(&self) -> anyhow::Result<&str> {
        match self.project.as_deref() {
            Some(p) => Ok(p),
            None => bail!(
                "no project selected: pass --project NAME, set GUREUM_PROJECT, or save a default with \
                 `gureum login --project NAME`"
            ),
        }
    }

    pub fn print<T: Serialize + ?Sized>(&self, v: &T) {
        print_one(self.output, v)
    }

    /// Follows an operation to its end with a progress display on stderr.
    pub async fn follow(&self, project: &str, operation_id: &str) -> anyhow::Result<Operation> {
        let mut ui = ProgressUi::new(operation_id);
        let result = self.client.wait_operation(project, operation_id, WAIT_TIMEOUT, |p| ui.update(p)).await;
        ui.finish();
        Ok(result?)
    }

    /// Follows an operation with a progress display on stderr; an error when it did not
    /// succeed.
    pub async fn wait(&self, project: &str, operation_id: &str) -> anyhow::Result<Operation> {
        let op = self.follow(project, operation_id).await?;
        if op.status == OperationStatus::Succeeded {
            return Ok(op);
        }
        if self.output == Output::Json {
            print_json(&op);
        }
        bail!("{}", failure(&op))
    }

    /// Shows a resource whose operation goes on, and how to follow it.
    pub fn started<T: Tracked>(&self, view: &T) {
        self.print(view);
        if let Some(op) = view.operation_id() {
            hint(&op);
        }
    }

    /// After a create or an action answered 202: without `--wait`, shows the resource in
    /// its transitional state and how to follow it; with it, follows the operation and
    /// shows the resource as it ends up (`refetch`).
    pub async fn accepted<T: Tracked>(
        &self,
        wait: bool,
        view: T,
        refetch: impl AsyncFnOnce() -> Result<T, ClientError>,
    ) -> anyhow::Result<()> {
        let Some(op) = view.operation_id() else {
            self.print(&view);
            return Ok(());
        };
        if !wait {
            self.print(&view);
            hint(&op);
            return Ok(());
        }
        self.wait(self.project()?, &op.to_string()).await?;
        self.print(&refetch().await?);
        Ok(())
    }

    /// After a delete answered 202: like [`Ctx::accepted`], and with `--wait` says the
    /// resource is gone (JSON: prints the finished operation).
    pub async fn deleted<T: Tracked>(&self, wait: bool, view: T, what: &str, name: &str) -> anyhow::Result<()> {
        let Some(op) = view.operation_id() else {
            self.print(&view);
            return Ok(());
        };
        if !wait {
            self.print(&view);
            hint(&op);
            return Ok(());
        }
        let done = self.wait(self.project()?, &op.to_string()).await?;
        match self.output {
            Output::Json => print_json(&done),
            Output::Table => println!("Deleted {what} {name}."),
        }
        Ok(())
    }
}

pub(crate) fn hint(op: &Uuid) {
    eprintln!("Operation {op} is running; follow it with `gureum operation show {op} --wait` (or pass --wait).");
}

/// `instance_create of instance web-1 failed at step vm_create: …`
pub fn failure(op: &Operation) -> String {
    let reason = op
        .error
        .clone()
        .or_else(|| op.steps.iter().find_map(|s| s.error.clone()))
        .unwrap_or_else(|| "no reason given".into());
    let step = op
        .steps
        .iter()
        .find(|s| matches!(s.status, StepStatus::Failed | StepStatus::UndoFailed))
        .filter(|s| !reason.contains(&format!("step {}", s.name)))
        .map(|s| format!(" at step {}", s.name))
        .unwrap_or_default();
    format!("{} of {} {} {}{step}: {reason}", op.kind, op.target.target_type, op.target.name, op.status)
}

/// A view that may have an operation running on it.
pub trait Tracked: Serialize {
    fn operation_id(&self) -> Option<Uuid>;
}

macro_rules! tracked {
    ($($t:ty),+) => {
        $(impl Tracked for $t {
            fn operation_id(&self) -> Option<Uuid> {
                self.operation_id
            }
        })+
    };
}

tracked!(
    Vpc,
    Subnet,
    SecurityGroup,
    SecurityGroupRule,
    PublicIp,
    Volume,
    Snapshot,
    KeyPair,
    Instance,
    Image,
    PersistentVm
);

/// Progress on stderr: a spinner line when it is a terminal, else one line per change.
struct ProgressUi {
    bar: Option<ProgressBar>,
    last: Option<String>,
}

impl ProgressUi {
    fn new(operation_id: &str) -> ProgressUi {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar.set_message(format!("waiting for operation {operation_id}"));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        ProgressUi { bar, last: None }
    }

    fn update(&mut self, p: &OperationProgress<'_>) {
        let op = p.operation;
        let mut line =
            format!("{} {}: step {}/{} {}", op.kind, op.target.name, p.position, p.total, p.step.unwrap_or("-"));
        if op.status != OperationStatus::Running {
            line.push_str(&format!(" ({})", op.status));
        }
        if self.last.as_deref() == Some(line.as_str()) {
            return;
        }
        match &self.bar {
            Some(bar) => bar.set_message(line.clone()),
            None => eprintln!("{line}"),
        }
        self.last = Some(line);
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
