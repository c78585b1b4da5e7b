//! A QMP client: one connection per exchange, since QEMU serves one QMP client per
//! socket at a time and the driver already serializes its calls.

use gureum_driver::{DriverError, DriverResult};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

const QMP_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `command` with `arguments` on the QMP socket at `socket`; returns its `return`.
pub(crate) async fn execute(socket: &Path, command: &str, arguments: Value) -> DriverResult<Value> {
    match tokio::time::timeout(QMP_TIMEOUT, exchange(socket, command, arguments)).await {
        Ok(r) => r,
        Err(_) => Err(DriverError::Timeout(format!("QMP {command} got no answer in {QMP_TIMEOUT:?}"))),
    }
}

async fn exchange(socket: &Path, command: &str, arguments: Value) -> DriverResult<Value> {
    let stream = UnixStream::connect(socket)
        .await
        .map_err(|e| DriverError::Unavailable(format!("QMP socket {}: {e}", socket.display())))?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut next = async || -> DriverResult<Value> {
        loop {
            let line = lines
                .next_line()
                .await
                .map_err(|e| DriverError::Unavailable(format!("QMP read: {e}")))?
                .ok_or_else(|| DriverError::Unavailable("QEMU closed the QMP socket".into()))?;
            let v: Value = serde_json::from_str(&line)
                .map_err(|e| DriverError::Provider { code: "qmp".into(), message: format!("{e}: {line}") })?;
            // Events arrive between answers; nothing here waits for one.
            if v.get("event").is_none() {
                return Ok(v);
            }
        }
    };
    next().await?; // the greeting
    let mut send = async |cmd: Value| -> DriverResult<()> {
        let mut line = cmd.to_string();
        line.push('\n');
        write.write_all(line.as_bytes()).await.map_err(|e| DriverError::Unavailable(format!("QMP write: {e}")))
    };
    send(json!({ "execute": "qmp_capabilities" })).await?;
    answer(next().await?, "qmp_capabilities")?;
    send(json!({ "execute": command, "arguments": arguments })).await?;
    answer(next().await?, command)
}

fn answer(v: Value, command: &str) -> DriverResult<Value> {
    if let Some(err) = v.get("error") {
        return Err(DriverError::Provider {
            code: err["class"].as_str().unwrap_or("GenericError").into(),
            message: format!("QMP {command}: {}", err["desc"].as_str().unwrap_or_default()),
        });
    }
    Ok(v.get("return").cloned().unwrap_or(Value::Null))
}

/// A monitor command QMP has no counterpart for (`hostfwd_add`…); returns what it
/// printed, which is how the monitor reports both success and failure.
pub(crate) async fn human(socket: &Path, command_line: &str) -> DriverResult<String> {
    let out = execute(socket, "human-monitor-command", json!({ "command-line": command_line })).await?;
    Ok(out.as_str().unwrap_or_default().trim().to_string())
}
