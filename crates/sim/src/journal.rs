//! The cloud's state on disk: one JSON line per change, a full record or a tombstone,
//! appended with a plain `write` before the call returns.
//!
//! No fsync per change: a killed gureum does not lose what the kernel already holds, and
//! the simulation must cost microseconds per call. On open the journal is replayed
//! (last line per id wins) and rewritten compacted, so it grows only with the changes
//! since the last start.

use crate::record::Record;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    Put(Box<Record>),
    Del(String),
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum EntryRef<'a> {
    Put(&'a Record),
    Del(&'a str),
}

pub(crate) struct Journal {
    file: File,
    buf: Vec<u8>,
}

/// The records the journal at `path` holds; none when it does not exist yet.
pub(crate) fn replay(path: &Path) -> io::Result<HashMap<String, Record>> {
    let mut records = HashMap::new();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(records),
        Err(e) => return Err(e),
    };
    // A process killed mid-write can leave a torn last line and nothing else; a bad line
    // followed by good ones means the file was damaged some other way, and guessing
    // would lose resources silently.
    let mut torn: Option<(usize, serde_json::Error)> = None;
    for (n, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Some((bad, e)) = torn.take() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: line {}: {e}", path.display(), bad + 1),
            ));
        }
        match serde_json::from_slice::<Entry>(&line) {
            Ok(Entry::Put(rec)) => {
                records.insert(rec.id.clone(), *rec);
            }
            Ok(Entry::Del(id)) => {
                records.remove(&id);
            }
            Err(e) => torn = Some((n, e)),
        }
    }
    if let Some((bad, e)) = torn {
        tracing::warn!(journal = %path.display(), line = bad + 1, error = %e, "ignoring a torn last line");
    }
    Ok(records)
}

impl Journal {
    /// Replaces the journal at `path` with one line per record and opens it for appending.
    /// The new file is synced before it replaces the old one: this happens once per open,
    /// and a power loss then must not leave an empty journal behind.
    pub fn rewrite<'a>(path: &Path, records: impl Iterator<Item = &'a Record>) -> io::Result<Journal> {
        let tmp = tmp_path(path);
        let mut out = io::BufWriter::new(File::create(&tmp)?);
        for rec in records {
            serde_json::to_writer(&mut out, &EntryRef::Put(rec))?;
            out.write_all(b"\n")?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&tmp, path)?;
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(Journal { file, buf: Vec::with_capacity(4096) })
    }

    /// Appends the current state of `ids` (a tombstone for those gone) in one write.
    pub fn append<'a>(&mut self, ids: &[String], lookup: impl Fn(&str) -> Option<&'a Record>) -> io::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.buf.clear();
        for id in ids {
            let entry = match lookup(id) {
                Some(rec) => EntryRef::Put(rec),
                None => EntryRef::Del(id),
            };
            serde_json::to_writer(&mut self.buf, &entry)?;
            self.buf.push(b'\n');
        }
        self.file.write_all(&self.buf)
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}
