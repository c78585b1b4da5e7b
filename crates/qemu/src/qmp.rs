//! A QMP client: one connection per exchange, since QEMU serves one QMP client per
//! socket at a time and the driver already serializes its calls.

use gureum_driver::{DriverError, DriverResult};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

const QMP_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `command` with `arguments` on the QMP socket at `socket`; returns its `return`.
pub(crate) async fn execute(socket: &Path, command: &str, arguments: Value) -> DriverResult<Value> {
    Qmp::connect(socket).await?.execute(command, arguments).await
}

/// A monitor command QMP has no counterpart for (`hostfwd_add`…); returns what it
/// printed, which is how the monitor reports both success and failure.
pub(crate) async fn human(socket: &Path, command_line: &str) -> DriverResult<String> {
    let out = execute(socket, "human-monitor-command", json!({ "command-line": command_line })).await?;
    Ok(out.as_str().unwrap_or_default().trim().to_string())
}

/// One QMP connection, for exchanges of several commands or that wait for an event.
pub(crate) struct Qmp {
    lines: Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
    /// Events that arrived while a command's answer was awaited.
    events: Vec<Value>,
}

impl Qmp {
    /// Connects and negotiates capabilities.
    pub async fn connect(socket: &Path) -> DriverResult<Qmp> {
        let stream = UnixStream::connect(socket)
            .await
            .map_err(|e| DriverError::Unavailable(format!("QMP socket {}: {e}", socket.display())))?;
        let (read, write) = stream.into_split();
        let mut qmp = Qmp { lines: BufReader::new(read).lines(), write, events: vec![] };
        within(QMP_TIMEOUT, "the QMP greeting", qmp.next()).await?;
        qmp.execute("qmp_capabilities", json!({})).await?;
        Ok(qmp)
    }

    /// Runs `command`; returns its `return`, or its error as the QMP error class says.
    pub async fn execute(&mut self, command: &str, arguments: Value) -> DriverResult<Value> {
        let mut line = json!({ "execute": command, "arguments": arguments }).to_string();
        line.push('\n');
        self.write.write_all(line.as_bytes()).await.map_err(|e| DriverError::Unavailable(format!("QMP write: {e}")))?;
        let answer = within(QMP_TIMEOUT, &format!("QMP {command}"), async {
            loop {
                let v = self.next().await?;
                if v.get("event").is_none() {
                    return Ok(v);
                }
                self.events.push(v);
            }
        })
        .await?;
        if let Some(err) = answer.get("error") {
            return Err(DriverError::Provider {
                code: err["class"].as_str().unwrap_or("GenericError").into(),
                message: format!("QMP {command}: {}", err["desc"].as_str().unwrap_or_default()),
            });
        }
        Ok(answer.get("return").cloned().unwrap_or(Value::Null))
    }

    /// Waits up to `timeout` for the event `name` whose `data` satisfies `matches`.
    pub async fn event(&mut self, name: &str, matches: impl Fn(&Value) -> bool, timeout: Duration) -> DriverResult<()> {
        let is_it = |v: &Value| v["event"] == name && matches(&v["data"]);
        if self.events.iter().any(is_it) {
            return Ok(());
        }
        within(timeout, &format!("the QMP event {name}"), async {
            while !is_it(&self.next().await?) {}
            Ok(())
        })
        .await
    }

    async fn next(&mut self) -> DriverResult<Value> {
        let line = self
            .lines
            .next_line()
            .await
            .map_err(|e| DriverError::Unavailable(format!("QMP read: {e}")))?
            .ok_or_else(|| DriverError::Unavailable("QEMU closed the QMP socket".into()))?;
        serde_json::from_str(&line)
            .map_err(|e| DriverError::Provider { code: "qmp".into(), message: format!("{e}: {line}") })
    }
}

async fn within<T>(timeout: Duration, what: &str, f: impl Future<Output = DriverResult<T>>) -> DriverResult<T> {
    tokio::time::timeout(timeout, f)
        .await
        .unwrap_or_else(|_| Err(DriverError::Timeout(format!("{what} did not come in {timeout:?}"))))
}
