//! What the GraphQL API is generated from: `graphql/config.json` (natural plurals,
//! introspection) and every collection schema (`data_sources/<service>/<db>/<coll>/schema.json`)
//! with its `relationships.json`, kept as written; the server turns them into types, queries and mutations once per deploy.

use serde::Deserialize;

use crate::{
    Loader,
    auth::{file_name, sorted_dirs},
};

/// The GraphQL API's settings and the collection schemas it is generated from.
#[derive(Debug, Clone)]
pub struct Graphql {
    /// `use_natural_pluralization` (true unless the config says otherwise): "people", not
    /// "persons".
    pub natural_plurals: bool,
    /// `disable_schema_introspection`: clients may not ask for the schema.
    pub no_introspection: bool,
    /// Collections with a schema, in directory order.
    pub collections: Vec<CollectionSchema>,
    /// `graphql/custom_resolvers/*.json`, as written, by file name.
    pub resolvers: Vec<(String, serde_json::Value)>,
}

/// One collection's schema, as `schema.json` holds it.
#[derive(Debug, Clone)]
pub struct CollectionSchema {
    /// The data source's service name (`mongodb-atlas`).
    pub service: String,
    /// The database.
    pub db: String,
    /// The collection.
    pub coll: String,
    /// `schema.json`.
    pub schema: serde_json::Value,
    /// `relationships.json` beside it, as written (`Null` when there is none).
    pub relationships: serde_json::Value,
}

#[derive(Deserialize)]
struct Config {
    use_natural_pluralization: Option<bool>,
    #[serde(default)]
    disable_schema_introspection: bool,
}

impl Loader<'_> {
    /// Reads the GraphQL settings and the collection schemas (their problems are reported where
    /// the rules read them).
    pub(crate) fn graphql(&mut self) -> Graphql {
        let config = self.root.join("graphql/config.json");
        let config: Option<Config> = if config.is_file() {
            self.json(&config)
        } else {
            None
        };
        let mut collections = Vec::new();
        for service in sorted_dirs(&self.root.join("data_sources")) {
            for db in sorted_dirs(&service) {
                for coll in sorted_dirs(&db) {
                    let path = coll.join("schema.json");
                    let schema = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
                    if let Some(schema) = schema {
                        let relationships = std::fs::read_to_string(coll.join("relationships.json"))
                            .ok()
                            .and_then(|t| serde_json::from_str(&t).ok())
                            .unwrap_or_default();
                        collections.push(CollectionSchema {
                            relationships,
                            service: file_name(&service),
                            db: file_name(&db),
                            coll: file_name(&coll),
                            schema,
                        });
                    }
                }
            }
        }
        let mut resolvers = Vec::new();
        let dir = self.root.join("graphql/custom_resolvers");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for path in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            if let Some(v) = self.json::<serde_json::Value>(path) {
                resolvers.push((file_name(path), v));
            }
        }
        Graphql {
            resolvers,
            natural_plurals: config
                .as_ref()
                .and_then(|c| c.use_natural_pluralization)
                .unwrap_or(true),
            no_introspection: config.is_some_and(|c| c.disable_schema_introspection),
            collections,
        }
    }
}
