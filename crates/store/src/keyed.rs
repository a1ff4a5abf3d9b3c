//! Finding values by MongoDB equality without comparing against every one: strings, whole
//! numbers, ObjectIds, booleans and dates have a key (numbers normalized, so `1`, `1.0` and
//! `NumberLong(1)` share one) and are found through a hash map; the rest (a `Decimal128`, a
//! fraction, a document, ...) are compared one by one, as before. `$in`, `$group`,
//! `distinct`, `$addToSet` and `$pullAll` use it, so none of them is quadratic.

use std::collections::HashMap;

use bson::Bson;

use crate::order::{equal, type_rank};

/// The key of `v` if it has one: among values with keys, equal keys is MongoDB equality.
pub fn key(v: &Bson) -> Option<Vec<u8>> {
    let keyed = match v {
        Bson::String(_) | Bson::ObjectId(_) | Bson::Int32(_) | Bson::Int64(_) => true,
        Bson::Boolean(_) | Bson::DateTime(_) => true,
        Bson::Double(d) => d.fract() == 0.0 && d.abs() < 9.2e18,
        _ => false,
    };
    if keyed {
        crate::layout::id_key(v).ok()
    } else {
        None
    }
}

/// Distinct values (by MongoDB equality) in the order first seen, each with its position.
#[derive(Debug, Clone, Default)]
pub struct EqIndex {
    values: Vec<Bson>,
    keyed: HashMap<Vec<u8>, usize>,
    /// Positions of every value, by type rank (only values of one rank can be equal).
    by_rank: HashMap<u8, Vec<usize>>,
    /// Positions of the values without a key, by type rank.
    unkeyed: HashMap<u8, Vec<usize>>,
}

impl EqIndex {
    /// The position of the value equal to `v`, if there is one.
    pub fn find(&self, v: &Bson) -> Option<usize> {
        self.find_keyed(v, key(v).as_deref())
    }

    fn find_keyed(&self, v: &Bson, k: Option<&[u8]>) -> Option<usize> {
        let rank = type_rank(v);
        let scan = |among: &HashMap<u8, Vec<usize>>| {
            among
                .get(&rank)?
                .iter()
                .copied()
                .find(|&i| equal(&self.values[i], v))
        };
        match k {
            // A value with a key can equal one without (`1` and `NumberDecimal("1")`).
            Some(k) => self.keyed.get(k).copied().or_else(|| scan(&self.unkeyed)),
            None => scan(&self.by_rank),
        }
    }

    /// The position of the value equal to `v`, adding `v` if there is none; `true` if added.
    pub fn insert(&mut self, v: &Bson) -> (usize, bool) {
        let k = key(v);
        if let Some(i) = self.find_keyed(v, k.as_deref()) {
            return (i, false);
        }
        let i = self.values.len();
        let rank = type_rank(v);
        match k {
            Some(k) => drop(self.keyed.insert(k, i)),
            None => self.unkeyed.entry(rank).or_default().push(i),
        }
        self.by_rank.entry(rank).or_default().push(i);
        self.values.push(v.clone());
        (i, true)
    }

    /// The distinct values, in the order first seen.
    pub fn into_values(self) -> Vec<Bson> {
        self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{Decimal128, oid::ObjectId};
    use std::str::FromStr;

    #[test]
    fn equal_numbers_share_a_place_across_types() {
        let mut ix = EqIndex::default();
        assert_eq!(ix.insert(&Bson::Int32(1)), (0, true));
        assert_eq!(ix.insert(&Bson::Int64(1)), (0, false));
        assert_eq!(ix.insert(&Bson::Double(1.0)), (0, false));
        let dec = Bson::Decimal128(Decimal128::from_str("1").unwrap());
        assert_eq!(ix.insert(&dec), (0, false));
        assert_eq!(ix.insert(&Bson::Double(1.5)), (1, true));
        assert_eq!(
            ix.find(&Bson::Decimal128(Decimal128::from_str("1.5").unwrap())),
            Some(1)
        );
        assert_eq!(ix.insert(&Bson::String("1".into())), (2, true));
        assert_eq!(ix.insert(&Bson::Boolean(true)), (3, true));
        assert_eq!(ix.find(&Bson::Symbol("1".into())), Some(2));
        assert_eq!(ix.find(&Bson::Int64(2)), None);
    }

    #[test]
    fn a_keyed_value_finds_an_earlier_unkeyed_equal() {
        let mut ix = EqIndex::default();
        ix.insert(&Bson::Decimal128(Decimal128::from_str("7").unwrap()));
        assert_eq!(ix.insert(&Bson::Int32(7)), (0, false));
        let id = ObjectId::new();
        ix.insert(&Bson::ObjectId(id));
        assert_eq!(ix.find(&Bson::ObjectId(id)), Some(1));
        assert_eq!(ix.into_values().len(), 2);
    }
}
