//! Reads: finding the documents a filter matches (through the `_id` index, a secondary
//! index, or a scan that decodes only candidates), and the read operations over them.

use bson::{Bson, Document};
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use crate::{
    Filter, FindOptions, Ns, Projection, Store, StoreError, aggregate, index,
    layout::{decode, docs_table, id_seqs, ids_table},
    order::compare,
    path,
    sort::{parse_sort, sort_docs},
};

/// What reads run against: a snapshot, or a transaction's own view (which sees its writes).
#[derive(Clone, Copy)]
pub(crate) enum Snap<'a> {
    Read(&'a ReadTransaction),
    Write(&'a WriteTransaction),
}

impl Snap<'_> {
    /// Calls `visit` with each document of `ns` matching `filter` until it says stop.
    fn visit(self, ns: &Ns, filter: &Filter, raw: &Document, visit: Visit<'_>) -> Result<(), StoreError> {
        match self {
            Snap::Read(t) => Store::visit(t, ns, filter, raw, visit),
            Snap::Write(t) => Store::visit_write(t, ns, filter, raw, visit),
        }
    }

    /// The first `take` (0: all) documents of `ns` matching `filter`.
    fn scan(
        self,
        ns: &Ns,
        filter: &Filter,
        raw: &Document,
        take: usize,
    ) -> Result<Vec<(u64, Document)>, StoreError> {
        let mut out = Vec::new();
        self.visit(ns, filter, raw, &mut keep(&mut out, take))?;
        Ok(out)
    }
}

/// What a scan does with a matching document (its sequence number, its bytes as stored, and
/// the document): `true` to go on, `false` to stop.
pub(crate) type Visit<'a> = &'a mut dyn FnMut(u64, &[u8], Document) -> Result<bool, StoreError>;

/// A visitor that keeps the first `take` (0: all) documents in `out`, each charged against the
/// operation's memory.
pub(crate) fn keep(
    out: &mut Vec<(u64, Document)>,
    take: usize,
) -> impl FnMut(u64, &[u8], Document) -> Result<bool, StoreError> + '_ {
    move |seq, bytes, d| {
        crate::budget::charge(bytes.len())?;
        out.push((seq, d));
        Ok(take == 0 || out.len() < take)
    }
}

/// The documents a read considers, by sequence number: calls its argument with each, in
/// natural order, until told to stop; false when it names none because no index applies
/// (then every document is a candidate).
pub(crate) type Candidates<'a> =
    &'a mut dyn FnMut(&mut dyn FnMut(u64) -> Result<bool, StoreError>) -> Result<bool, StoreError>;

/// The candidates the `_id` index or a secondary index gives for `raw` (the filter as
/// written), through `ids` (opened only for an `_id` equality; `None` then: the collection
/// has no `_id` index table, so no document) and `open` (an index table by name, `None` when
/// absent).
fn by_index<I, M>(
    ids: Option<&I>,
    specs: &[index::IndexSpec],
    raw: &Document,
    open: impl Fn(&str) -> Result<Option<M>, StoreError>,
    each: &mut dyn FnMut(u64) -> Result<bool, StoreError>,
) -> Result<bool, StoreError>
where
    I: ReadableTable<&'static [u8], u64>,
    M: redb::ReadableMultimapTable<&'static [u8], u64>,
{
    match Store::id_hint(raw) {
        Some(id) => {
            let Some(ids) = ids else { return Ok(true) };
            for seq in id_seqs(ids, id)? {
                if !each(seq)? {
                    break;
                }
            }
            Ok(true)
        }
        None => index::lookup(specs, raw, open, each),
    }
}

/// Calls `visit` with the documents among `candidates` that match `filter`, until it says
/// stop.
pub(crate) fn matching(
    docs: &impl ReadableTable<u64, &'static [u8]>,
    candidates: Candidates<'_>,
    filter: &Filter,
    visit: Visit<'_>,
) -> Result<(), StoreError> {
    let mut each = |seq: u64, bytes: &[u8]| -> Result<bool, StoreError> {
        crate::budget::tick()?;
        crate::budget::read(bytes.len())?;
        if filter.excludes_raw(bson::RawDocument::from_bytes(bytes)?) {
            return Ok(true);
        }
        let d = decode(bytes)?;
        if filter.matches(&d) {
            visit(seq, bytes, d)
        } else {
            Ok(true)
        }
    };
    let indexed = candidates(&mut |seq| match docs.get(seq)? {
        Some(bytes) => each(seq, bytes.value()),
        None => Ok(true),
    })?;
    if !indexed {
        for entry in docs.iter()? {
            let (seq, bytes) = entry?;
            if !each(seq.value(), bytes.value())? {
                break;
            }
        }
    }
    // A last document that stopped matching at the deadline fails the read here.
    crate::budget::tick()
}

impl Store {
    /// Calls `visit` with the documents of `ns` matching `filter`, in natural order, until it
    /// says stop; an `_id` or indexed equality in `raw` (the filter as written) reads through
    /// its index.
    pub(crate) fn visit(
        txn: &ReadTransaction,
        ns: &Ns,
        filter: &Filter,
        raw: &Document,
        visit: Visit<'_>,
    ) -> Result<(), StoreError> {
        let name = ns.full();
        let docs = match txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&name))) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        // A collection an earlier version created with documents' table alone has no `_id`
        // index table; it then has no documents either.
        let (ids, specs) = match Self::id_hint(raw) {
            Some(_) => match txn.open_table(TableDefinition::<&[u8], u64>::new(&ids_table(&name))) {
                Ok(t) => (Some(t), Vec::new()),
                Err(redb::TableError::TableDoesNotExist(_)) => (None, Vec::new()),
                Err(e) => return Err(e.into()),
            },
            None => (None, index::read_specs(txn, &name)?),
        };
        let open = |n: &str| match txn.open_multimap_table(index::def(&index::table(&name, n))) {
            Ok(t) => Ok(Some(t)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        };
        matching(
            &docs,
            &mut |each| by_index(ids.as_ref(), &specs, raw, open, each),
            filter,
            visit,
        )
    }

    /// [`Store::visit`] inside a write transaction (which sees its own writes).
    pub(crate) fn visit_write(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Filter,
        raw: &Document,
        visit: Visit<'_>,
    ) -> Result<(), StoreError> {
        let name = ns.full();
        let docs = txn.open_table(TableDefinition::<u64, &[u8]>::new(&docs_table(&name)))?;
        let (ids, specs) = match Self::id_hint(raw) {
            Some(_) => (
                Some(txn.open_table(TableDefinition::<&[u8], u64>::new(&ids_table(&name)))?),
                Vec::new(),
            ),
            None => (None, index::specs(txn, &name)?),
        };
        let open = |n: &str| {
            Ok(Some(
                txn.open_multimap_table(index::def(&index::table(&name, n)))?,
            ))
        };
        matching(
            &docs,
            &mut |each| by_index(ids.as_ref(), &specs, raw, open, each),
            filter,
            visit,
        )
    }

    /// The first `take` (0: all) documents of `ns` matching `filter` in a write transaction,
    /// with their sequence numbers, each charged against the operation's memory.
    pub(crate) fn scan_write(
        txn: &WriteTransaction,
        ns: &Ns,
        filter: &Filter,
        raw: &Document,
        take: usize,
    ) -> Result<Vec<(u64, Document)>, StoreError> {
        Snap::Write(txn).scan(ns, filter, raw, take)
    }

    /// The `_id` equality of a filter, used to answer through the `_id` index.
    pub(crate) fn id_hint(filter: &Document) -> Option<&Bson> {
        match filter.get("_id") {
            Some(Bson::Document(d)) if d.keys().next().is_some_and(|k| k.starts_with('$')) => {
                match d.get("$eq") {
                    Some(v) if d.len() == 1 => Some(v),
                    _ => None,
                }
            }
            Some(Bson::RegularExpression(_)) => None,
            other => other,
        }
    }

    /// Finds documents. Without a sort the scan stops once it has `skip + limit`.
    pub(crate) fn find_in(
        snap: Snap<'_>,
        ns: &Ns,
        filter: &Document,
        options: &FindOptions,
    ) -> Result<Vec<Document>, StoreError> {
        let (parsed, near) = Filter::parse_find(filter)?;
        let projection = match &options.projection {
            Some(p) => Projection::parse_for(p, Some(filter))?,
            None => None,
        };
        let sort = options.sort.as_ref().map(parse_sort).transpose()?;
        let limit = options.limit.unsigned_abs() as usize;
        let mut skip = usize::try_from(options.skip).unwrap_or(usize::MAX);
        let mut docs = Vec::new();
        match (&near, &sort) {
            // `$near` orders by distance, nearest first; a sort orders them again.
            (Some((path, near)), _) => {
                let mut ranked = Vec::new();
                snap.visit(ns, &parsed, filter, &mut |seq, bytes, d| {
                    crate::budget::charge(bytes.len())?;
                    let distance = near
                        .distance_of(&path::values_at(&d, path))
                        .unwrap_or(f64::INFINITY);
                    ranked.push((distance, (seq, d)));
                    Ok(true)
                })?;
                ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
                docs = ranked.into_iter().map(|(_, d)| d).collect();
                if let Some(spec) = &sort {
                    sort_docs(&mut docs, spec);
                }
            }
            (None, Some(spec)) => {
                docs = snap.scan(ns, &parsed, filter, 0)?;
                sort_docs(&mut docs, spec);
            }
            // In natural order the skipped documents are passed over, and the scan stops at
            // the limit.
            (None, None) => {
                let mut keep = keep(&mut docs, limit);
                snap.visit(ns, &parsed, filter, &mut |seq, bytes, d| {
                    if skip > 0 {
                        skip -= 1;
                        return Ok(true);
                    }
                    keep(seq, bytes, d)
                })?;
            }
        }
        let iter = docs.into_iter().skip(skip);
        let taken: Vec<Document> = if limit > 0 {
            iter.take(limit).map(|(_, d)| d).collect()
        } else {
            iter.map(|(_, d)| d).collect()
        };
        Ok(match projection {
            Some(p) => taken.iter().map(|d| p.apply(d)).collect(),
            None => taken,
        })
    }

    /// Counts matching documents, holding none of them.
    pub(crate) fn count_in(
        snap: Snap<'_>,
        ns: &Ns,
        filter: &Document,
        skip: u64,
        limit: u64,
    ) -> Result<u64, StoreError> {
        let parsed = Filter::parse(filter)?;
        let enough = if limit > 0 {
            skip.saturating_add(limit)
        } else {
            u64::MAX
        };
        let mut n = 0u64;
        snap.visit(ns, &parsed, filter, &mut |_, _, _| {
            n += 1;
            Ok(n < enough)
        })?;
        let n = n.saturating_sub(skip);
        Ok(if limit > 0 { n.min(limit) } else { n })
    }

    /// Distinct values of `field` among matching documents (array values contribute elements);
    /// only the values are held.
    pub(crate) fn distinct_in(
        snap: Snap<'_>,
        ns: &Ns,
        field: &str,
        filter: &Document,
    ) -> Result<Vec<Bson>, StoreError> {
        let parsed = Filter::parse(filter)?;
        let mut seen = crate::keyed::EqIndex::default();
        snap.visit(ns, &parsed, filter, &mut |_, _, d| {
            for v in path::values_at(&d, field) {
                let items: Vec<&Bson> = match v {
                    Bson::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    crate::budget::tick()?;
                    if seen.insert(item).1 {
                        crate::budget::charge(crate::budget::held_size(item))?;
                    }
                }
            }
            Ok(true)
        })?;
        let mut out = seen.into_values();
        crate::budget::check()?;
        out.sort_by(compare);
        Ok(out)
    }

    /// Runs an aggregation pipeline over `ns`; `$lookup` reads collections of the same database.
    pub(crate) fn aggregate_in(
        snap: Snap<'_>,
        ns: &Ns,
        pipeline: &[Document],
    ) -> Result<Vec<Document>, StoreError> {
        // A leading $match is answered while scanning, as is a leading $geoNear's query.
        let geo_near = match pipeline.first().and_then(|s| s.get("$geoNear")) {
            Some(spec) => Some(aggregate::geonear::GeoNear::parse(spec)?),
            None => None,
        };
        let (filter, rest) = match (
            &geo_near,
            pipeline.first().and_then(|s| s.get_document("$match").ok()),
        ) {
            (Some(g), _) => (g.query.clone(), &pipeline[1..]),
            (None, Some(m)) => (m.clone(), &pipeline[1..]),
            (None, None) => (Document::new(), pipeline),
        };
        let parsed = Filter::parse(&filter)?;
        let mut docs: Vec<Document> = snap
            .scan(ns, &parsed, &filter, 0)?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        if let Some(g) = geo_near {
            crate::budget::next_stage();
            docs = g.run(docs)?;
        }
        let read = |coll: &str| -> Result<Vec<Document>, StoreError> {
            let other = Ns {
                db: ns.db.clone(),
                coll: coll.to_string(),
            };
            Ok(snap
                .scan(&other, &Filter::And(Vec::new()), &Document::new(), 0)?
                .into_iter()
                .map(|(_, d)| d)
                .collect())
        };
        aggregate::run(docs, rest, &read)
    }
}
