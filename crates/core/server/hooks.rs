//! App code that runs on authentication events: the user creation function of
//! `auth/custom_user_data.json` (before a user exists; throwing refuses the sign-up) and the
//! app's authentication triggers (after a user is created, logs in or is deleted; their
//! failures are logged and change nothing for the client). Both run as system.

use bson::{Bson, DateTime, Document, doc, oid::ObjectId};
use engine::{Invocation, User};

use super::{
    State,
    error::ApiError,
    users::{IdentityRecord, UserRecord},
};

/// The `user` object functions receive in auth events: id, type, profile data, identities.
fn event_user(user: &UserRecord) -> Document {
    let user = user.engine_user();
    let identities: Vec<Bson> = user
        .identities
        .iter()
        .map(|i| Bson::Document(doc! {"id": &i.id, "provider_type": &i.provider_type}))
        .collect();
    doc! {
        "id": user.id,
        "type": user.user_type.as_str(),
        "data": user.data,
        "identities": identities,
        "custom_data": {},
    }
}

/// The enabled authentication triggers for `operation` by a `provider_type` user.
fn triggers(state: &State, operation: &str, provider_type: &str) -> Vec<loader::AuthTrigger> {
    let deployment = state.deployment();
    deployment
        .extensions
        .get::<loader::AuthTriggers>()
        .map(|t| t.matching(operation, provider_type).cloned().collect())
        .unwrap_or_default()
}

/// Runs the LOGIN triggers for user `id`; reads the user only when a trigger fires.
pub async fn login(state: &State, provider_type: &str, id: &ObjectId) -> Result<(), ApiError> {
    if triggers(state, "LOGIN", provider_type).is_empty() {
        return Ok(());
    }
    if let Some(user) = state.users.user(id).await? {
        auth_event(state, "LOGIN", provider_type, &user).await;
    }
    Ok(())
}

/// Creates a user with one identity: runs the user creation function first (its failure
/// refuses the sign-up and nothing is stored), then stores the user, then fires CREATE triggers.
pub async fn create_user(
    state: &State,
    identity: IdentityRecord,
    data: Document,
) -> Result<ObjectId, ApiError> {
    let provider_type = identity.provider_type.clone();
    let user = UserRecord::new(identity, data);
    let deployment = state.deployment();
    let creation = deployment
        .extensions
        .get::<loader::AuthConfig>()
        .and_then(|a| a.custom_user_data.as_ref())
        .and_then(|c| c.on_user_creation_function.clone());
    if let Some(function) = creation {
        let call = Invocation::new(&function, vec![Bson::Document(event_user(&user))], User::system());
        let failed = |message: String| {
            ApiError::bad_request(
                "FunctionExecutionError",
                format!(
                    "the user creation function '{function}' failed, so the user was not created: {message}"
                ),
            )
        };
        match state.engine.call(call).await {
            Ok(outcome) => outcome.result.map_err(|ex| failed(ex.to_string()))?,
            Err(e) => return Err(failed(e.to_string())),
        };
    }
    state.users.insert_user(&user).await?;
    auth_event(state, "CREATE", &provider_type, &user).await;
    Ok(user.id)
}

/// Runs the enabled authentication triggers for `operation` by a `provider_type` user, in turn,
/// with the event `{operationType, providers, user, time}`. The client's request waits for them,
/// so their writes are visible when it returns; failures are logged only.
pub async fn auth_event(state: &State, operation: &str, provider_type: &str, user: &UserRecord) {
    for trigger in triggers(state, operation, provider_type) {
        let event = doc! {
            "operationType": operation,
            "providers": [provider_type],
            "user": event_user(user),
            "time": DateTime::now(),
        };
        let at = DateTime::now();
        let call = Invocation::new(&trigger.function, vec![Bson::Document(event)], User::system());
        let mut messages = Vec::new();
        let failure = match state.engine.call(call).await {
            Ok(outcome) => {
                messages.extend(outcome.logs.into_iter().map(|l| l.message));
                outcome.result.err().map(|ex| ex.to_string())
            }
            Err(e) => Some(e.to_string()),
        };
        let (name, function) = (&trigger.name, &trigger.function);
        super::forward::trigger(
            state,
            "AUTH_TRIGGER",
            name,
            function,
            at,
            failure.as_deref(),
            &messages,
        );
        match failure {
            None => tracing::info!(trigger = %trigger.name, operation, "authentication trigger ran"),
            Some(error) => {
                tracing::warn!(trigger = %trigger.name, operation, %error, "authentication trigger failed")
            }
        }
    }
}
