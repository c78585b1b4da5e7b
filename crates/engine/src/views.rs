//! Small helpers shared by the views every resource module builds.

use gureum_api_types::Links;
use gureum_store::Page as StorePage;
use uuid::Uuid;

pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

/// RFC 3339 from microseconds since the epoch.
pub fn ts(micros: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(micros as i128 * 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

pub fn ts_opt(micros: Option<i64>) -> Option<String> {
    micros.map(ts)
}

/// Microseconds since the epoch from RFC 3339.
pub fn parse_ts(field: &str, s: &str) -> crate::Result<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|_| {
        crate::Error::invalid(field, format!("must be an RFC 3339 time such as 2026-01-31T00:00:00Z, got {s:?}"))
    })?;
    Ok((t.unix_timestamp_nanos() / 1000) as i64)
}

pub fn links(path: String, operation: Option<(Uuid, Uuid)>) -> Links {
    Links {
        self_link: path,
        operation: operation.map(|(project, op)| format!("/v1/projects/{project}/operations/{op}")),
    }
}

pub fn project_path(project: Uuid, collection: &str, id: Uuid) -> String {
    format!("/v1/projects/{project}/{collection}/{id}")
}

/// Turns `limit` and `cursor` query parameters into a store page, refusing bad values.
pub fn page_request(limit: Option<u32>, cursor: Option<&str>) -> crate::Result<StorePage> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(crate::Error::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    let after = match cursor {
        None | Some("") => None,
        Some(c) => Some(
            decode_cursor(c).ok_or_else(|| crate::Error::invalid("cursor", "is not a cursor this server issued"))?,
        ),
    };
    Ok(StorePage { limit, after })
}

fn decode_cursor(c: &str) -> Option<Uuid> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    Uuid::from_slice(&raw).ok()
}

pub fn encode_cursor(id: Uuid) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

impl crate::Engine {
    /// A page of rows matching `filters` and the list query (state, name, limit,
    /// cursor), with the cursor of the next page. `S` is the resource's state type, which
    /// the `state` filter must spell.
    pub(crate) async fn list_rows<R, S>(
        &self,
        mut filters: Vec<gureum_store::Filter>,
        q: &gureum_api_types::ListQuery,
        id: impl Fn(&R) -> Uuid,
    ) -> crate::Result<(Vec<R>, Option<String>)>
    where
        R: gureum_store::Record,
        S: gureum_model::state::Spelled,
    {
        let page = page_request(q.limit, q.cursor.as_deref())?;
        if let Some(state) = q.state.as_deref() {
            let s = S::parse_spelling(state).ok_or_else(|| {
                crate::Error::invalid("state", format!("must be one of {}, got {state:?}", S::all_spellings()))
            })?;
            filters.push(("state", s.spelling().into()));
        }
        let rows = self.store().list_named::<R>(&filters, q.name.as_deref(), &page).await?;
        let next_cursor =
            (rows.len() as u32 == page.limit).then(|| rows.last().map(|r| encode_cursor(id(r)))).flatten();
        Ok((rows, next_cursor))
    }

    /// [`Engine::list_rows`] with each row turned into its view.
    pub(crate) async fn list_views<R, S, V, F>(
        &self,
        filters: Vec<gureum_store::Filter>,
        q: &gureum_api_types::ListQuery,
        id: impl Fn(&R) -> Uuid,
        view: impl FnMut(R) -> F,
    ) -> crate::Result<gureum_api_types::Page<V>>
    where
        R: gureum_store::Record,
        S: gureum_model::state::Spelled,
        F: std::future::Future<Output = V>,
    {
        let (rows, next_cursor) = self.list_rows::<R, S>(filters, q, id).await?;
        Ok(gureum_api_types::Page { items: futures::future::join_all(rows.into_iter().map(view)).await, next_cursor })
    }
}
