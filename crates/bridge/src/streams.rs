//! The change feed on MongoDB: the driver's change streams over the whole deployment (a replica
//! set or Atlas; a standalone server has none and says so), as [`feed::Changes`].
//!
//! Updates carry their post-image (`fullDocument: updateLookup`). Pre-images are asked for
//! (`whenAvailable`: collections with `changeStreamPreAndPostImages` on) where the server knows
//! the option (6.0 and later); an older server refuses it, and the feed then opens without.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use bson::Document;
use engine::host::HostError;
use futures_util::StreamExt as _;
use mongodb::{
    Client,
    change_stream::{ChangeStream, event::ResumeToken},
    error::{Error, ErrorKind},
    options::{FullDocumentBeforeChangeType, FullDocumentType},
};

use crate::{driver::host_error, feed};

/// The code of a command option the server does not know (`IDLUnknownField`).
const UNKNOWN_FIELD: i32 = 40415;

/// A resume token as the feed hands it out: the event's `_id` document.
pub(crate) fn token_document(token: &ResumeToken) -> Result<Document, HostError> {
    bson::serialize_to_document(token).map_err(|e| HostError::new(format!("unreadable resume token: {e}")))
}

/// The driver's resume token for a feed token.
pub(crate) fn resume_token(token: Document) -> Result<ResumeToken, HostError> {
    bson::deserialize_from_document(token).map_err(|e| HostError::new(format!("invalid resume token: {e}")))
}

/// Opens a change stream on the deployment after `after`, with pre-images while `pre_images`
/// holds (cleared when the server refuses them).
async fn open(
    client: &Client,
    pre_images: &AtomicBool,
    after: Option<&ResumeToken>,
) -> Result<ChangeStream<mongodb::change_stream::event::ChangeStreamEvent<Document>>, Error> {
    loop {
        let wanted = pre_images.load(Ordering::Relaxed);
        let mut watch = client.watch().full_document(FullDocumentType::UpdateLookup);
        if wanted {
            watch = watch.full_document_before_change(FullDocumentBeforeChangeType::WhenAvailable);
        }
        if let Some(token) = after {
            watch = watch.resume_after(token.clone());
        }
        match watch.await {
            Err(e) if wanted && refuses_pre_images(&e) => {
                tracing::info!(
                    "this MongoDB has no pre-images (before 6.0): change events come without fullDocumentBeforeChange"
                );
                pre_images.store(false, Ordering::Relaxed);
            }
            other => return other,
        }
    }
}

fn refuses_pre_images(e: &Error) -> bool {
    matches!(e.kind.as_ref(), ErrorKind::Command(c)
        if c.code == UNKNOWN_FIELD || c.message.contains("fullDocumentBeforeChange"))
}

/// The present point of the deployment's change streams: the resume token a fresh stream
/// starts at (its `postBatchResumeToken`).
pub(crate) async fn position(
    client: Client,
    pre_images: Arc<AtomicBool>,
) -> Result<Option<Document>, HostError> {
    let stream = open(&client, &pre_images, None).await.map_err(host_error)?;
    stream.resume_token().as_ref().map(token_document).transpose()
}

/// Subscribes to every change of the deployment from `start`, writ's own databases left out.
pub(crate) fn subscribe(
    client: Client,
    pre_images: Arc<AtomicBool>,
    start: feed::Start,
) -> Result<feed::Changes, HostError> {
    let after = match start {
        feed::Start::Now => None,
        feed::Start::After(token) => Some(resume_token(token)?),
    };
    let (tx, rx) = tokio::sync::mpsc::channel(feed::BUFFER);
    tokio::spawn(async move {
        let stream = match open(&client, &pre_images, after.as_ref()).await {
            Ok(s) => s.with_type::<Document>(),
            Err(e) => {
                let _ = tx.send(Err(host_error(e))).await;
                return;
            }
        };
        tokio::pin!(stream);
        while let Some(event) = stream.next().await {
            let item = event.map_err(host_error);
            if item.as_ref().is_ok_and(|e| !feed::visible(e)) {
                continue;
            }
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use bson::doc;

    use super::*;

    #[test]
    fn a_token_goes_to_the_driver_and_back_unchanged() {
        let event_id = doc! {"_data": "8263F1A2B3000000012B022C0100296E5A1004"};
        let token = resume_token(event_id.clone()).expect("token");
        assert_eq!(token_document(&token).expect("document"), event_id);
    }
}
