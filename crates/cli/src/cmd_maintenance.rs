//! `gureum maintenance`: tasks over the project's instances, their resources' schedules
//! and actions, the notifications about them and the webhooks they are delivered to.

use crate::ctx::Ctx;
use crate::output::{Output, Row, age, opt, print_json, render_table};
use crate::{ListArgs, PageArgs, read_secret, spelled};
use clap::Subcommand;
use gureum_api_types::*;
use gureum_model::maintenance::LeadTime;

#[derive(Subcommand, Debug)]
pub enum MaintenanceCmd {
    /// Tasks: the project's resources grouped for an update
    #[command(subcommand)]
    Task(TaskCmd),
    /// One resource of a task: its schedule, exclude/include, run-now, retry
    #[command(subcommand)]
    Resource(ResourceCmd),
    /// Reserve every unscheduled resource of a task at one time
    Schedule {
        task: String,
        /// RFC 3339 (2026-01-31T02:00:00Z) or from now (+30m, +2h, +1d)
        #[arg(long)]
        at: String,
    },
    /// The project's maintenance notifications, newest first
    Notifications {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Webhooks the project's notifications are POSTed to, signed
    #[command(subcommand)]
    Webhook(WebhookCmd),
}

#[derive(Subcommand, Debug)]
pub enum TaskCmd {
    /// The project's tasks with their derived status and counts
    List {
        #[command(flatten)]
        list: ListArgs,
    },
    /// A task and each resource's schedule, status and last error
    Show {
        task: String,
    },
    /// A task over instances of the project (--resource, repeatable), all Pending
    Create(Box<TaskCreateArgs>),
    Delete {
        task: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct TaskCreateArgs {
    name: String,
    /// instance (default), or provisioning: --resource names stacks of the library
    #[arg(long, value_parser = spelled::<Service>)]
    service: Option<Service>,
    /// mandatory (needs --deadline) or recommended (needs --recommended-date)
    #[arg(long, value_parser = spelled::<Requirement>)]
    requirement: Requirement,
    /// RFC 3339
    #[arg(long)]
    deadline: Option<String>,
    /// RFC 3339
    #[arg(long)]
    recommended_date: Option<String>,
    /// kernel_upgrade, os_update, engine_upgrade or config_change
    #[arg(long = "type", value_parser = spelled::<MaintenanceType>)]
    maintenance_type: MaintenanceType,
    /// high, medium or low
    #[arg(long, value_parser = spelled::<Priority>)]
    priority: Option<Priority>,
    /// What to apply, a JSON object
    #[arg(long)]
    apply: Option<String>,
    /// The resource is stopped while it is updated
    #[arg(long)]
    downtime: bool,
    #[arg(long = "resource", required = true, value_name = "INSTANCE")]
    resources: Vec<String>,
    /// A count (5) or a percentage (10%)
    #[arg(long)]
    max_concurrency: Option<String>,
    /// A count (1) or a percentage (10%)
    #[arg(long)]
    max_errors: Option<String>,
    #[arg(long)]
    retries: Option<i64>,
    #[arg(long)]
    retry_backoff_seconds: Option<i64>,
    /// Lead times of the upcoming notices, e.g. 24h,1h [default: 24h,1h]
    #[arg(long, value_delimiter = ',', num_args = 0..)]
    notify_before: Option<Vec<String>>,
}

#[derive(clap::Args, Debug)]
pub struct TaskResource {
    task: String,
    /// The instance's name or id
    resource: String,
}

#[derive(Subcommand, Debug)]
pub enum ResourceCmd {
    /// Reserve (or move) the resource at a time
    Schedule {
        #[command(flatten)]
        r: TaskResource,
        /// RFC 3339 (2026-01-31T02:00:00Z) or from now (+30m, +2h, +1d)
        #[arg(long)]
        at: String,
    },
    /// Drop the resource's schedule
    Unschedule(TaskResource),
    /// Leave the resource out of the task
    Exclude(TaskResource),
    /// Take an excluded resource back
    Include(TaskResource),
    /// Run it as soon as possible
    RunNow(TaskResource),
    /// Run a failed resource again
    Retry(TaskResource),
    /// What the runbook did to the resource, line by line (every attempt)
    Log(TaskResource),
}

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Add a webhook; its signing secret is read from standard input (or prompted)
    Create {
        name: String,
        /// http or https
        #[arg(long)]
        url: String,
    },
    Delete {
        webhook: String,
    },
    /// The webhook's deliveries, newest first, with their attempts
    Deliveries {
        webhook: String,
        #[command(flatten)]
        page: PageArgs,
    },
}

impl Row for MaintenanceTask {
    const HEADERS: &'static [&'static str] =
        &["NAME", "STATUS", "COMPLETED/FAILED/TOTAL", "TYPE", "PRIORITY", "REQUIREMENT", "DOWNTIME", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.status.to_string(),
            counts(&self.counts),
            self.maintenance_type.to_string(),
            self.priority.to_string(),
            self.requirement.to_string(),
            yes_no(self.downtime),
            age(&self.created_at),
        ]
    }
}

impl Row for MaintenanceResource {
    const HEADERS: &'static [&'static str] = &["NAME", "ID", "SCHEDULED AT", "STATUS", "LAST ERROR"];
    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.id.to_string(),
            opt(&self.scheduled_at),
            self.status.to_string(),
            opt(&self.last_error),
        ]
    }
}

impl Row for Notification {
    const HEADERS: &'static [&'static str] = &["AGE", "KIND", "TASK", "RESOURCE", "MESSAGE"];
    fn row(&self) -> Vec<String> {
        vec![
            age(&self.created_at),
            self.kind.to_string(),
            self.task.name.clone(),
            opt(&self.resource.as_ref().map(|r| &r.name)),
            self.message.clone(),
        ]
    }
}

impl Row for Webhook {
    const HEADERS: &'static [&'static str] = &["NAME", "URL", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![self.name.clone(), self.url.clone(), age(&self.created_at)]
    }
}

impl Row for Delivery {
    const HEADERS: &'static [&'static str] =
        &["ID", "KIND", "STATUS", "ATTEMPTS", "LAST CODE", "LAST ERROR", "NEXT ATTEMPT", "AGE"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            opt(&self.kind),
            self.status.to_string(),
            self.attempts.to_string(),
            opt(&self.last_response_code),
            opt(&self.last_error),
            opt(&self.next_attempt_at),
            age(&self.created_at),
        ]
    }
}

fn counts(c: &TaskCounts) -> String {
    format!("{}/{}/{}", c.completed, c.failed, c.total)
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// A task: its fields, then a table of its resources.
fn show_task(output: Output, t: &MaintenanceTask) {
    if output == Output::Json {
        return print_json(t);
    }
    let c = &t.counts;
    let status = format!("{} (completed {}, failed {}, total {})", t.status, c.completed, c.failed, c.total);
    let due = match t.requirement {
        Requirement::Mandatory => format!("mandatory, deadline {}", opt(&t.deadline)),
        Requirement::Recommended => format!("recommended from {}", opt(&t.recommended_date)),
    };
    let fields = [
        ("name", t.name.clone()),
        ("id", t.id.to_string()),
        ("status", status),
        ("type", t.maintenance_type.to_string()),
        ("priority", t.priority.to_string()),
        ("requirement", due),
        ("downtime", yes_no(t.downtime)),
        ("restarts", yes_no(t.restarts)),
        ("expected duration", t.expected_duration_seconds.map_or_else(|| "-".into(), |s| format!("{s} s"))),
        ("max_concurrency", t.max_concurrency.clone()),
        ("max_errors", t.max_errors.clone()),
        ("retries", format!("{} ({} s apart)", t.retries, t.retry_backoff_seconds)),
        ("notify_before", if t.notify_before.is_empty() { "-".into() } else { t.notify_before.join(", ") }),
    ];
    print!("{}", render_table(&[], fields.into_iter().map(|(k, v)| vec![k.to_string(), v])));
    println!("\nRESOURCES:");
    print!("{}", render_table(MaintenanceResource::HEADERS, t.resources.iter().map(Row::row)));
}

/// RFC 3339 as given, or `+30m` from now.
fn at_time(at: &str) -> anyhow::Result<String> {
    let Some(ahead) = at.strip_prefix('+') else { return Ok(at.to_string()) };
    let lead = LeadTime::parse(ahead).map_err(|e| anyhow::anyhow!("--at {at}: {e}"))?;
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(lead.seconds());
    // Whole seconds: a schedule is read by people.
    let t = t.replace_nanosecond(0)?;
    Ok(t.format(&time::format_description::well_known::Rfc3339)?)
}

pub async fn maintenance(ctx: &Ctx, cmd: MaintenanceCmd) -> anyhow::Result<()> {
    let (c, p) = (&ctx.client, ctx.project()?);
    match cmd {
        MaintenanceCmd::Task(cmd) => task(ctx, p, cmd).await?,
        MaintenanceCmd::Resource(cmd) => resource(ctx, p, cmd).await?,
        MaintenanceCmd::Schedule { task, at } => {
            show_task(ctx.output, &c.maintenance_task_schedule(p, &task, &at_time(&at)?).await?)
        }
        MaintenanceCmd::Notifications { page } => {
            ctx.print_list(&page, page.query(), async |q| c.notification_list(p, &q.into()).await).await?;
        }
        MaintenanceCmd::Webhook(cmd) => webhook(ctx, p, cmd).await?,
    }
    Ok(())
}

async fn resource(ctx: &Ctx, p: &str, cmd: ResourceCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    let (r, action, at) = match cmd {
        ResourceCmd::Log(r) => {
            let lines = c.maintenance_resource_log(p, &r.task, &r.resource).await?;
            if ctx.output == Output::Json {
                print_json(&lines);
            } else {
                lines.iter().for_each(|l| println!("{}  {}", l.at, l.line));
            }
            return Ok(());
        }
        ResourceCmd::Schedule { r, at } => (r, ResourceAction::Schedule, Some(at_time(&at)?)),
        ResourceCmd::Unschedule(r) => (r, ResourceAction::Unschedule, None),
        ResourceCmd::Exclude(r) => (r, ResourceAction::Exclude, None),
        ResourceCmd::Include(r) => (r, ResourceAction::Include, None),
        ResourceCmd::RunNow(r) => (r, ResourceAction::RunNow, None),
        ResourceCmd::Retry(r) => (r, ResourceAction::Retry, None),
    };
    let t = c.maintenance_resource_action(p, &r.task, &r.resource, action, at.as_deref()).await?;
    show_task(ctx.output, &t);
    Ok(())
}

async fn task(ctx: &Ctx, p: &str, cmd: TaskCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        TaskCmd::List { list } => {
            ctx.print_list(&list.page, list.query(), async |q| c.maintenance_task_list(p, &q).await).await?;
        }
        TaskCmd::Show { task } => show_task(ctx.output, &c.maintenance_task_get(p, &task).await?),
        TaskCmd::Create(args) => {
            let TaskCreateArgs {
                name,
                service,
                requirement,
                deadline,
                recommended_date,
                maintenance_type,
                priority,
                apply,
                downtime,
                resources,
                max_concurrency,
                max_errors,
                retries,
                retry_backoff_seconds,
                notify_before,
            } = *args;
            let apply = apply
                .map(|a| serde_json::from_str(&a).map_err(|e| anyhow::anyhow!("--apply is not JSON: {e}")))
                .transpose()?;
            let req = MaintenanceTaskCreate {
                name,
                service,
                requirement,
                deadline,
                recommended_date,
                priority,
                maintenance_type,
                apply,
                downtime,
                resources,
                max_concurrency,
                max_errors,
                retries,
                retry_backoff_seconds,
                notify_before,
            };
            show_task(ctx.output, &c.maintenance_task_create(p, &req).await?);
        }
        TaskCmd::Delete { task } => c.maintenance_task_delete(p, &task).await?,
    }
    Ok(())
}

async fn webhook(ctx: &Ctx, p: &str, cmd: WebhookCmd) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        WebhookCmd::List { page } => {
            ctx.print_list(&page, page.query(), async |q| c.webhook_list(p, &q.into()).await).await?;
        }
        WebhookCmd::Create { name, url } => {
            let secret = read_secret("Signing secret (16-256 characters)", true)?;
            ctx.print(&c.webhook_create(p, &WebhookCreate { name, url, secret }).await?);
        }
        WebhookCmd::Delete { webhook } => c.webhook_delete(p, &webhook).await?,
        WebhookCmd::Deliveries { webhook, page } => {
            ctx.print_list(&page, page.query(), async |q| c.delivery_list(p, &webhook, &q.into()).await).await?;
        }
    }
    Ok(())
}
