//! Connections: a driver + credentials + region + zone, registered by name. Every
//! resource lives in one connection. Credentials are write-only and sealed at rest.

use crate::provider::cloud::{CallBudget, CallLimits, Provider};
use crate::views::{links, ts};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Connection, ConnectionCreate, ConnectionUpdate};
use gureum_driver::{ConnectionSpec, Driver, DriverRegistry, OpenError};
use gureum_model::Name;
use gureum_model::state::LifecycleState;
use gureum_store::{ConnectionRecord, Key, Record, Update, new_id, now};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The connection resources use when the request names none.
pub const DEFAULT_CONNECTION: &str = "sim";

/// Tables whose rows live in a connection, with the kind users know them by.
const CONNECTION_USERS: &[(&str, &str)] = &[
    ("instances", "instances"),
    ("volumes", "volumes"),
    ("vpcs", "VPCs"),
    ("key_pairs", "key pairs"),
    ("public_ips", "public IPs"),
    ("images", "images"),
    ("pools", "pools"),
];

fn view(c: ConnectionRecord) -> Connection {
    Connection {
        id: c.id,
        settings: serde_json::from_str(&c.settings).unwrap_or(Value::Null),
        has_credentials: c.credentials.is_some(),
        created_at: ts(c.created_at),
        links: links(format!("/v1/connections/{}", c.id), None),
        name: c.name,
        driver: c.driver,
        region: c.region,
        zone: c.zone,
    }
}

/// Validates a connection's driver, settings, region and zone; returns the region and
/// zone to store (the driver's defaults where the request gave none).
fn validate_connection(drivers: &DriverRegistry, req: &ConnectionCreate, settings: &Value) -> Result<(String, String)> {
    let (_, settings) = &CallLimits::split(settings)?;
    let factory = drivers.factory(&req.driver)?;
    Ok(factory.validate(settings, req.region.as_deref(), req.zone.as_deref())?)
}

/// Credentials as stored: a JSON object, as the document says (drivers read fields of it).
fn credentials_object(v: &Value) -> Result<String> {
    if !v.is_object() {
        return Err(Error::invalid("credentials", "must be a JSON object"));
    }
    Ok(v.to_string())
}

impl Engine {
    pub(crate) fn open_driver(&self, c: &ConnectionRecord) -> Result<Arc<dyn Driver>> {
        let stored: Value = serde_json::from_str(&c.settings).unwrap_or(Value::Null);
        let (_, settings) = CallLimits::split(&stored)?;
        let factory = self
            .config()
            .drivers
            .get(&c.driver)
            .ok_or_else(|| Error::Internal(format!("connection {} uses unknown driver {}", c.name, c.driver)))?;
        let id = c.id.to_string();
        let credentials: Option<Value> = c
            .credentials
            .as_deref()
            .map(|sealed| self.config().secret_key.open_json(sealed))
            .transpose()
            .map_err(|e| Error::Internal(format!("the credentials of connection {}: {e}", c.name)))?;
        let spec = ConnectionSpec {
            id: &id,
            name: &c.name,
            region: &c.region,
            zone: &c.zone,
            settings: &settings,
            credentials: credentials.as_ref(),
            data_dir: &self.config().data_dir,
        };
        factory.open(&spec).map_err(|e| match e {
            OpenError::Settings(e) => Error::Invalid(e),
            OpenError::Unavailable(m) => Error::Unavailable(m),
            OpenError::Internal(m) => Error::Internal(m),
        })
    }

    /// The driver of a connection, opened on first use and kept.
    pub(crate) async fn driver(&self, connection_id: Uuid) -> Result<Arc<dyn Driver>> {
        Ok(self.provider(connection_id).await?.0)
    }

    /// The driver of a connection and its call budget, opened on first use and kept.
    pub(crate) async fn provider(&self, connection_id: Uuid) -> Result<Provider> {
        if let Some((_, p)) = self.inner.drivers.read().expect("drivers lock").get(&connection_id) {
            return Ok(p.clone());
        }
        let c = self
            .store()
            .get_by_id::<ConnectionRecord>(connection_id)
            .await?
            .ok_or_else(|| Error::not_found("connection", connection_id))?;
        let d = self.open_driver(&c)?;
        let (limits, _) = CallLimits::split(&serde_json::from_str(&c.settings).unwrap_or(Value::Null))?;
        let mut map = self.inner.drivers.write().expect("drivers lock");
        let (_, p) = map.entry(connection_id).or_insert((c.generation, (d, Arc::new(CallBudget::new(limits)))));
        Ok(p.clone())
    }

    /// Drops the drivers of connections changed or deleted since they were opened, so
    /// the next call reopens them with the stored settings. This server drops its own at
    /// once; this catches what another server sharing the database changed.
    pub(crate) async fn forget_stale_drivers(&self) -> Result<()> {
        let current: HashMap<Uuid, i64> =
            self.store().list_all::<ConnectionRecord>(&[]).await?.into_iter().map(|c| (c.id, c.generation)).collect();
        let mut map = self.inner.drivers.write().expect("drivers lock");
        map.retain(|id, (generation, _)| current.get(id) == Some(generation));
        Ok(())
    }

    /// The connection a request names (or the default one), as a 400 when unknown.
    pub(crate) async fn resolve_connection(&self, name: Option<&str>) -> Result<ConnectionRecord> {
        let name = name.unwrap_or(DEFAULT_CONNECTION);
        self.store()
            .get::<ConnectionRecord>(&[], &Key::parse(name))
            .await?
            .ok_or_else(|| Error::invalid("connection", format!("no connection named {name:?}")))
    }

    pub async fn connection_create(&self, ctx: &OpContext, req: ConnectionCreate) -> Result<Connection> {
        self.require_admin(ctx, "create connections")?;
        let name = Name::parse("name", &req.name)?;
        let settings = req.settings.clone().unwrap_or_else(|| Value::Object(Default::default()));
        if !settings.is_object() {
            return Err(Error::invalid("settings", "must be a JSON object"));
        }
        let (region, zone) = validate_connection(&self.config().drivers, &req, &settings)?;
        let credentials = match req.credentials {
            None | Some(Value::Null) => None,
            Some(c) => Some(self.config().secret_key.seal(credentials_object(&c)?.as_bytes())),
        };
        let t = now();
        let rec = ConnectionRecord {
            id: new_id(),
            name: name.to_string(),
            driver: req.driver,
            region,
            zone,
            settings: settings.to_string(),
            credentials,
            state: LifecycleState::Available,
            generation: 1,
            created_at: t,
            updated_at: t,
        };
        self.open_driver(&rec)?;
        self.store().write(rec.insert()).await.map_err(crate::error::on_unique(|| {
            Error::Conflict(format!("a connection named {name} already exists"))
        }))?;
        Ok(view(rec))
    }

    /// Replaces a connection's settings and/or credentials; the driver is reopened with
    /// them on its next use.
    pub async fn connection_update(&self, ctx: &OpContext, key: &str, req: ConnectionUpdate) -> Result<Connection> {
        self.require_admin(ctx, "change connections")?;
        let mut c = self.connection_record(key).await?;
        let mut update = Update::<ConnectionRecord>::of(c.id).guard(ConnectionRecord::generation, c.generation);
        if let Some(settings) = req.settings {
            if !settings.is_object() {
                return Err(Error::invalid("settings", "must be a JSON object"));
            }
            let as_create = ConnectionCreate {
                name: c.name.clone(),
                driver: c.driver.clone(),
                region: Some(c.region.clone()),
                zone: Some(c.zone.clone()),
                credentials: None,
                settings: None,
            };
            validate_connection(&self.config().drivers, &as_create, &settings)?;
            c.settings = settings.to_string();
            update = update.set(ConnectionRecord::settings, c.settings.as_str());
        }
        if let Some(credentials) = req.credentials {
            c.credentials = match credentials {
                Value::Null => None,
                v => Some(self.config().secret_key.seal(credentials_object(&v)?.as_bytes())),
            };
            update = update.set(ConnectionRecord::credentials, c.credentials.clone());
        }
        self.open_driver(&c)?;
        self.store().write(gureum_store::Batch::from(update.stmt(now()))).await?;
        self.inner.drivers.write().expect("drivers lock").remove(&c.id);
        Ok(view(c))
    }

    /// The connections whose provider lives inside this server (see
    /// [`gureum_driver::DriverFactory::inside_server`]), by name.
    pub async fn connections_inside_server(&self) -> Result<Vec<String>> {
        let all = self.store().list_all::<ConnectionRecord>(&[]).await?;
        let drivers = &self.config().drivers;
        Ok(all
            .into_iter()
            .filter(|c| {
                let settings = serde_json::from_str(&c.settings).unwrap_or(Value::Null);
                drivers.get(&c.driver).is_some_and(|f| f.inside_server(&settings))
            })
            .map(|c| c.name)
            .collect())
    }

    pub async fn connection_list(&self, _ctx: &OpContext) -> Result<Vec<Connection>> {
        Ok(self.store().list_all::<ConnectionRecord>(&[]).await?.into_iter().map(view).collect())
    }

    pub async fn connection_get(&self, _ctx: &OpContext, key: &str) -> Result<Connection> {
        Ok(view(self.connection_record(key).await?))
    }

    pub(crate) async fn connection_record(&self, key: &str) -> Result<ConnectionRecord> {
        self.store()
            .get::<ConnectionRecord>(&[], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("connection", key))
    }

    pub async fn connection_delete(&self, ctx: &OpContext, key: &str) -> Result<()> {
        self.require_admin(ctx, "delete connections")?;
        let c = self.connection_record(key).await?;
        let mut in_use = vec![];
        for (table, what) in CONNECTION_USERS {
            let n = self.store().count_in(table, &[("connection_id", c.id.into())]).await?;
            if n > 0 {
                in_use.push(format!("{n} {what}"));
            }
        }
        if !in_use.is_empty() {
            return Err(Error::Conflict(format!(
                "connection {} still holds {}; delete them first",
                c.name,
                in_use.join(", ")
            )));
        }
        self.store().write(gureum_store::record::delete::<ConnectionRecord>(c.id)).await?;
        self.inner.drivers.write().expect("drivers lock").remove(&c.id);
        Ok(())
    }
}
