//! Password hashing (argon2id with its default parameters: 19 MiB of state per hash) on a few
//! dedicated threads, each owning one reusable state buffer, so hashing never holds more than
//! threads x 19 MiB. (Allocating the state per hash on the shared blocking pool let dozens of
//! threads each keep freed buffers in their allocator arenas: hundreds of MiB after a burst of
//! logins, however few ran at once.) Requests wait in a queue; one whose client has gone is
//! skipped.

use std::sync::{Arc, Mutex, OnceLock, mpsc};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{Output, PasswordHash, SaltString, rand_core::OsRng},
};

use super::ApiError;

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The password hashing threads of one server.
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
    /// A hash no password matches, checked for unknown accounts so they cost what known ones
    /// do; made by the first hashing thread free, not on the start-up path.
    dummy: Arc<OnceLock<String>>,
}

/// Runs argon2 with `params` in `memory` (grown once to the size the parameters need).
fn argon2_into(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        out,
        &mut memory[..blocks],
    )
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) of `password`.
fn hash_now(password: &str, memory: &mut Vec<Block>) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| e.to_string())?;
    let params = Params::default();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        salt_bytes,
        &mut out,
        memory,
    )
    .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|e: argon2::password_hash::Error| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// The dummy hash, made on first use (another thread wanting it meanwhile waits for it).
fn dummy_hash(dummy: &OnceLock<String>, memory: &mut Vec<Block>) -> String {
    dummy
        .get_or_init(|| {
            // No password matches a hash that failed to be made either.
            hash_now(&super::users::random_secret(16), memory).unwrap_or_default()
        })
        .clone()
}

/// True if `password` matches the PHC string `hash` (compared in constant time).
fn verify_now(password: &str, hash: &str, memory: &mut Vec<Block>) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map_or(Some(Version::V0x13), |v| Version::try_from(v).ok())?;
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        argon2_into(algorithm, version, params, password, salt, &mut out, memory).ok()?;
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

impl Passwords {
    /// Starts `threads` hashing threads (0: one per core).
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("writ-password-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        let dummy: Arc<OnceLock<String>> = Arc::default();
        let warm = dummy.clone();
        let _ = jobs.send(Box::new(move |memory| {
            dummy_hash(&warm, memory);
        }));
        Ok(Self { jobs, dummy })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            if !tx.is_closed() {
                let _ = tx.send(work(memory));
            }
        });
        self.jobs
            .send(job)
            .map_err(|e| ApiError::internal("hashing a password", e))?;
        rx.await.map_err(|e| ApiError::internal("hashing a password", e))
    }

    /// The argon2 hash of `password`, in PHC string form.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move |memory| hash_now(&password, memory))
            .await?
            .map_err(|e| ApiError::internal("hashing a password", e))
    }

    /// True if `password` matches `hash`; with no hash (an unknown account), false after the
    /// same work.
    pub async fn verify(&self, password: String, hash: Option<&str>) -> Result<bool, ApiError> {
        let stored = hash.map(str::to_string);
        let dummy = self.dummy.clone();
        let matches = self
            .run(move |memory| {
                let hash = stored.unwrap_or_else(|| dummy_hash(&dummy, memory));
                verify_now(&password, &hash, memory)
            })
            .await?;
        let known = hash.is_some();
        Ok(known && matches)
    }
}
