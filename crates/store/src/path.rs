//! Dotted paths into documents, with MongoDB's traversal of arrays.

use bson::{Bson, Document};

/// Every value a dotted path reaches in `doc`, MongoDB style: through an array, a name applies
/// to each element that is a document, and a numeric part also indexes the array. An empty
/// result means the path is missing.
pub fn values_at<'a>(doc: &'a Document, path: &str) -> Vec<&'a Bson> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    if let Some((first, rest)) = parts.split_first()
        && let Some(v) = doc.get(*first)
    {
        descend(v, rest, &mut out);
    }
    out
}

fn descend<'a>(value: &'a Bson, rest: &[&str], out: &mut Vec<&'a Bson>) {
    let Some((part, tail)) = rest.split_first() else {
        out.push(value);
        return;
    };
    match value {
        Bson::Document(d) => {
            if let Some(v) = d.get(*part) {
                descend(v, tail, out);
            }
        }
        Bson::Array(items) => {
            if let Ok(i) = part.parse::<usize>()
                && let Some(v) = items.get(i)
            {
                descend(v, tail, out);
            }
            for item in items {
                if let Bson::Document(d) = item
                    && let Some(v) = d.get(*part)
                {
                    descend(v, tail, out);
                }
            }
        }
        _ => {}
    }
}

/// The single value at a path without array traversal (numeric parts index arrays), as
/// projections and updates address fields.
pub fn get_path<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut parts = path.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for part in parts {
        cur = match cur {
            Bson::Document(d) => d.get(part)?,
            Bson::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}
