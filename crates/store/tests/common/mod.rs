//! What the store's test files share: a namespace and a store holding some documents.

use bson::Document;
use store::{Data as _, Ns, Store};

/// The namespace the tests write to.
pub fn ns() -> Ns {
    Ns::new("t", "c").expect("valid")
}

/// A fresh store whose collection holds `docs`; the directory lives as long as the store.
pub fn store_with(docs: Vec<Document>) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let (_, err) = store.insert(&ns(), docs, true);
    assert!(err.is_none(), "{err:?}");
    (dir, store)
}
