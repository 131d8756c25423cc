//! What one AWS request costs Loop's process in CPU, against the emulator named by
//! `AWS_ENDPOINT_URL`: a DynamoDB `GetItem` through the SDK client Loop uses (one at a time, then
//! 16 at once), and the same request as a bare HTTP POST on a kept-alive connection (reqwest, no
//! SDK), which is the floor any client pays on this machine for the round trip.
//!
//! `scripts/with-emulator.sh cargo run --release -p loop-local --example request_cost -- 2000`

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use loop_adapters::aws::AwsClients;
use loop_ground::config::Config;

/// CPU time of this process so far (all threads, user and system).
fn cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let of = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    of(usage.ru_utime) + of(usage.ru_stime)
}

fn report(what: &str, n: usize, cpu: Duration, wall: Duration) {
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!("{what}: {n} requests, {:.1} µs of CPU each ({:.0} µs wall each)", per(cpu), per(wall));
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let config = Config::from_env().expect("configuration");
    let endpoint = config.aws.endpoint_url.clone().expect("AWS_ENDPOINT_URL names the emulator");
    let clients = AwsClients::new(&config.aws).await;
    let resources = loop_local::provision::read_template(loop_local::provision::TEMPLATE).expect("template");
    loop_local::provision::provision(&clients, &config.resources, &resources).await.expect("provisioning");
    let table = config.resources.table.clone();
    let dynamodb = clients.dynamodb;
    let get = |dynamodb: aws_sdk_dynamodb::Client, table: String| async move {
        let key = |v: &str| AttributeValue::S(v.to_owned());
        dynamodb.get_item().table_name(table).key("pk", key("A#cost")).key("sk", key("none")).send().await.unwrap();
    };

    for _ in 0..50 {
        get(dynamodb.clone(), table.clone()).await;
    }
    let (cpu0, wall0) = (cpu(), Instant::now());
    for _ in 0..n {
        get(dynamodb.clone(), table.clone()).await;
    }
    report("SDK GetItem, one at a time", n, cpu() - cpu0, wall0.elapsed());

    let per_task = n / 16;
    let (cpu0, wall0) = (cpu(), Instant::now());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (dynamodb, table) = (dynamodb.clone(), table.clone());
            tokio::spawn(async move {
                for _ in 0..per_task {
                    get(dynamodb.clone(), table.clone()).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    report("SDK GetItem, 16 at once", per_task * 16, cpu() - cpu0, wall0.elapsed());

    // The same request without the SDK: no signing (moto does not check), no retry or
    // interceptors, one kept-alive connection.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = format!(r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"A#cost"}},"sk":{{"S":"none"}}}}}}"#);
    let post = || async {
        let response = http
            .post(&endpoint)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=loop-local/20260101/us-east-1/dynamodb/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        response.bytes().await.unwrap();
    };
    for _ in 0..50 {
        post().await;
    }
    let (cpu0, wall0) = (cpu(), Instant::now());
    for _ in 0..n {
        post().await;
    }
    report("bare HTTP POST (reqwest), one at a time", n, cpu() - cpu0, wall0.elapsed());
}
