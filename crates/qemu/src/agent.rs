//! The guest agent: a virtio-serial port named [`PORT_NAME`] on every VM, whose host end
//! is a socket in the VM's directory. The guest (images/tiny-linux/rootfs/bin/agent)
//! reads one command a line and answers `ok` (with what was asked for after a space, if
//! anything) or `error: <why>`.

use crate::vm::VmFiles;
use gureum_driver::{DriverError, DriverResult};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

pub(crate) const PORT_NAME: &str = "org.gureum.agent";

/// Sends `command` to the agent of the VM `vm`; returns once the guest took it, with what
/// it answered after `ok`.
pub(crate) async fn ask(files: &VmFiles, vm: &str, command: &str, within: Duration) -> DriverResult<String> {
    let socket = files.agent();
    let exchange = async {
        let mut stream = tokio::net::UnixStream::connect(&socket).await?;
        stream.write_all(format!("{command}\n").as_bytes()).await?;
        let mut answer = String::new();
        BufReader::new(stream).read_line(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = match tokio::time::timeout(within, exchange).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            return Err(DriverError::Unavailable(format!("the guest agent of vm {vm} ({}): {e}", socket.display())));
        }
        // The guest may still take it later: what happened is unknown.
        Err(_) => {
            return Err(DriverError::Timeout(format!(
                "the guest agent of vm {vm} did not answer {command} within {} s",
                within.as_secs()
            )));
        }
    };
    let answer = answer.trim_end_matches(['\r', '\n']);
    if let Some(said) = answer.strip_prefix("ok").filter(|rest| rest.is_empty() || rest.starts_with(' ')) {
        return Ok(said.trim_start_matches(' ').to_string());
    }
    match answer.trim() {
        "" => Err(DriverError::Unavailable(format!("the guest agent of vm {vm} closed its port without answering"))),
        said => match said.strip_prefix("error: ") {
            Some(why) => Err(DriverError::Conflict(format!("vm {vm} refused {command}: {why}"))),
            None => Err(DriverError::Provider {
                code: "guest_agent".into(),
                message: format!("vm {vm} answered {command} with {said:?}"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The agent socket of a VM directory `name` under `dir`, whose guest answers each
    /// connection with `answer` (or never).
    fn guest(dir: &std::path::Path, name: &str, answer: Option<&'static str>) -> VmFiles {
        let files = VmFiles { dir: dir.join(name) };
        std::fs::create_dir_all(&files.dir).unwrap();
        let listener = tokio::net::UnixListener::bind(files.agent()).unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut line = String::new();
                let (read, mut write) = stream.split();
                BufReader::new(read).read_line(&mut line).await.unwrap();
                match answer {
                    Some(a) => write.write_all(a.as_bytes()).await.unwrap(),
                    None => std::future::pending().await,
                }
            }
        });
        files
    }

    #[tokio::test]
    async fn answers_become_results_and_silence_a_timeout_naming_the_vm() {
        let within = Duration::from_millis(300);
        let dir = tempfile::tempdir().unwrap();
        let files = guest(dir.path(), "ok", Some("ok\n"));
        assert_eq!(ask(&files, "vm-1", "sysprep", within).await.unwrap(), "");
        let files = guest(dir.path(), "facts", Some("ok kernel=6.1\tos=tiny\n"));
        assert_eq!(ask(&files, "vm-1", "facts", within).await.unwrap(), "kernel=6.1\tos=tiny");
        let files = guest(dir.path(), "no", Some("error: runs from RAM\n"));
        match ask(&files, "vm-1", "sysprep", within).await {
            Err(DriverError::Conflict(m)) => assert_eq!(m, "vm vm-1 refused sysprep: runs from RAM"),
            other => panic!("{other:?}"),
        }
        let files = guest(dir.path(), "mute", None);
        match ask(&files, "vm-1", "sysprep", within).await {
            Err(DriverError::Timeout(m)) => assert!(m.contains("vm vm-1") && m.contains("sysprep"), "{m}"),
            other => panic!("{other:?}"),
        }
        let files = VmFiles { dir: dir.path().join("gone") };
        assert!(matches!(ask(&files, "vm-1", "sysprep", within).await, Err(DriverError::Unavailable(_))));
    }
}
