//! Golden-file tests of the function API: each `golden/<case>.js` runs as the function `main`
//! and its logs and result must equal `golden/<case>.out`. `UPDATE_GOLDEN=1` rewrites them.
//!
//! Header comments in a case set the call: `// args: <EJSON array>`, `// user: <id>` (default:
//! a normal user `u1` with data, custom data and an identity), `// system`, `// timeout_ms: N`.
//! Functions in `golden_lib/` are deployed beside every case (for `context.functions.execute`).

use std::{path::Path, sync::Arc, time::Duration};

use bson::{Bson, doc};
use engine::{
    Deployment, Engine, EngineConfig, FunctionConfig, FunctionSpec, Identity, Invocation, RequestInfo, User,
    UserType,
};

fn header<'a>(source: &'a str, key: &str) -> Option<&'a str> {
    source.lines().take_while(|l| l.starts_with("//")).find_map(|l| {
        l.trim_start_matches("//")
            .trim()
            .strip_prefix(key)
            .map(|rest| rest.trim_start_matches(':').trim())
    })
}

fn base_deployment() -> Deployment {
    let mut d = Deployment::default();
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden_lib");
    for entry in std::fs::read_dir(&lib).expect("golden_lib") {
        let path = entry.expect("entry").path();
        let source = std::fs::read_to_string(&path).expect("read lib");
        let name = path.file_stem().expect("stem").to_string_lossy().into_owned();
        let config = FunctionConfig {
            private: header(&source, "private").is_some(),
            run_as_system: header(&source, "run_as_system").is_some(),
            ..FunctionConfig::default()
        };
        d.functions.insert(
            name.clone(),
            FunctionSpec {
                name,
                path: path.display().to_string(),
                source,
                config,
            },
        );
    }
    d.values.insert("appName".into(), Bson::String("golden".into()));
    d.values.insert(
        "limits".into(),
        Bson::Document(doc! { "max": 10, "tags": ["a", "b"] }),
    );
    d.environment_tag = "development".into();
    d.environment_values = doc! { "baseUrl": "http://localhost" };
    d.app.name = "golden".into();
    d.app.client_app_id = "golden-abcde".into();
    d.app.deployment_model = "LOCAL".into();
    d.app.provider_region = "local".into();
    d
}

fn default_user() -> User {
    User {
        id: "u1".into(),
        user_type: UserType::Normal,
        data: doc! { "email": "u1@example.com" },
        custom_data: doc! { "userId": "u1", "favoriteColor": "pink" },
        identities: vec![Identity {
            id: "i1".into(),
            provider_type: "local-userpass".into(),
            data: doc! {},
        }],
    }
}

#[test]
fn golden_cases() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("rt");
    let config = EngineConfig {
        workers: 1,
        ..EngineConfig::default()
    };
    let engine = Engine::new(config, Vec::new(), runtime.handle().clone()).expect("engine");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let source = std::fs::read_to_string(case).expect("read case");
        let mut deployment = base_deployment();
        deployment.functions.insert(
            "main".into(),
            FunctionSpec {
                name: "main".into(),
                // As the loader names it: relative to the app directory.
                path: format!("functions/{}", case.file_name().expect("name").to_string_lossy()),
                source: source.clone(),
                config: FunctionConfig::default(),
            },
        );
        let args = match header(&source, "args") {
            Some(a) => match Bson::try_from(serde_json::from_str::<serde_json::Value>(a).expect("args json"))
            {
                Ok(Bson::Array(items)) => items,
                other => panic!("{}: args must be an EJSON array, got {other:?}", case.display()),
            },
            None => Vec::new(),
        };
        let user = if header(&source, "system").is_some() {
            User::system()
        } else {
            header(&source, "user")
                .map(User::normal)
                .unwrap_or_else(default_user)
        };
        let mut invocation = Invocation::new("main", args, user);
        invocation.time_limit =
            header(&source, "timeout_ms").map(|t| Duration::from_millis(t.parse().expect("ms")));
        invocation.request = Some(RequestInfo {
            remote_ip_address: "127.0.0.1".into(),
            request_headers: [("User-Agent".to_string(), vec!["golden/1.0".to_string()])].into(),
            raw_query_string: "a=1".into(),
            http_user_agent: Some("golden/1.0".into()),
            service: String::new(),
            action: "main".into(),
            ..RequestInfo::default()
        });
        let got = testkit::render(runtime.block_on(engine.call_on(Arc::new(deployment), invocation)));
        let expected_path = case.with_extension("out");
        if update {
            std::fs::write(&expected_path, &got).expect("write golden");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != got {
            failures.push(format!(
                "--- {}\nexpected:\n{expected}\ngot:\n{got}",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
