//! App Services' limits on one GraphQL operation, checked before any of it runs, so an
//! operation over them fails whole: at most ten resolvers (root fields, aliases and fragments
//! counted) and relationships resolved at most five deep. Fragments are expanded as GraphQL
//! does; a query whose expansion passes [`MAX_STEPS`] selections (a fragment that spreads
//! another many times, over and over) is refused instead of walked.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, Selection, SelectionSet};

/// The most resolvers (root fields) one operation may have, as App Services had it.
pub const MAX_RESOLVERS: usize = 10;
/// How deep one operation may nest relationships, as App Services had it.
pub const MAX_RELATIONSHIP_DEPTH: usize = 5;
/// The most selections the check expands (fragments included) before refusing a query.
const MAX_STEPS: usize = 100_000;

/// Where an output field leads: the type of its value, and whether it is a relationship.
#[derive(Debug, Clone)]
pub struct Next {
    /// The output type its value has (a list's item type).
    pub ty: String,
    /// Whether resolving it follows a relationship.
    pub relation: bool,
}

/// The object-valued fields of every output type (`Query`, `Mutation`, the document types,
/// custom payload types): what the check walks.
#[derive(Debug, Default)]
pub struct Shape(HashMap<String, HashMap<String, Next>>);

impl Shape {
    /// Records that field `field` of type `ty` leads to `next`.
    pub fn add(&mut self, ty: &str, field: &str, next: Next) {
        self.0
            .entry(ty.to_string())
            .or_default()
            .insert(field.to_string(), next);
    }

    fn next(&self, ty: &str, field: &str) -> Option<&Next> {
        self.0.get(ty)?.get(field)
    }
}

/// Checks the operation of `doc` that `name` selects (the only one when `None`) against App
/// Services' limits; the error is App Services' message. An operation that cannot be found
/// passes: the executor reports it.
pub fn check(doc: &ExecutableDocument, name: Option<&str>, shape: &Shape) -> Result<(), String> {
    let mut operations = doc.operations.iter();
    let op = match name {
        Some(name) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => operations.next().filter(|_| doc.operations.iter().count() == 1),
    };
    let Some((_, op)) = op else {
        return Ok(());
    };
    let mut walk = Walk {
        doc,
        shape,
        steps: 0,
        stack: Vec::new(),
    };
    walk.operation(&op.node)
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    shape: &'a Shape,
    steps: usize,
    /// The fragments being expanded (a fragment that spreads itself is left to the validator).
    stack: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    fn operation(&mut self, op: &'a OperationDefinition) -> Result<(), String> {
        let root = match op.ty {
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            _ => "Query",
        };
        let mut resolvers = 0;
        self.fields(&op.selection_set.node, root, 0, &mut resolvers)?;
        if resolvers > MAX_RESOLVERS {
            return Err("max number of queries reached".into());
        }
        Ok(())
    }

    /// Walks `set`, a selection of type `ty` reached through `depth` relationships; counts
    /// in `count` the fields it selects directly (not through a nested field) and descends
    /// into every field that leads to an object.
    fn fields(
        &mut self,
        set: &'a SelectionSet,
        ty: &str,
        depth: usize,
        count: &mut usize,
    ) -> Result<(), String> {
        for item in &set.items {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(format!(
                    "the operation expands to more than {MAX_STEPS} selections"
                ));
            }
            match &item.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    if name.starts_with("__") {
                        continue;
                    }
                    *count += 1;
                    let Some(next) = self.shape.next(ty, name) else {
                        continue;
                    };
                    let depth = depth + usize::from(next.relation);
                    if depth > MAX_RELATIONSHIP_DEPTH {
                        return Err("max relationship depth exceeded".into());
                    }
                    let ty = next.ty.clone();
                    self.fields(&f.node.selection_set.node, &ty, depth, &mut 0)?;
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    let Some(fragment) = self.doc.fragments.get(name) else {
                        continue;
                    };
                    if self.stack.contains(&name) {
                        continue;
                    }
                    self.stack.push(name);
                    self.fields(&fragment.node.selection_set.node, ty, depth, count)?;
                    self.stack.pop();
                }
                Selection::InlineFragment(i) => {
                    self.fields(&i.node.selection_set.node, ty, depth, count)?;
                }
            }
        }
        Ok(())
    }
}
