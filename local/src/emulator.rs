//! The moto server, started as a child process when no `AWS_ENDPOINT_URL` is given.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::process::{Child, Command};

#[derive(Debug, Error)]
pub enum EmulatorError {
    #[error("no Python with the moto server at {0} (run `make dev`, which installs it into .venv/)")]
    NotInstalled(PathBuf),
    #[error("cannot start the moto server: {0}")]
    Spawn(std::io::Error),
    #[error("port {0} is already in use: set LOOP_EMULATOR_PORT to another port, or AWS_ENDPOINT_URL to use a running emulator")]
    PortInUse(u16),
    #[error("the moto server exited at start-up ({0})")]
    Exited(std::process::ExitStatus),
    #[error("the moto server did not answer on port {0} within 30 s")]
    Timeout(u16),
}

/// The launcher: moto's server with DynamoDB requests serialized (see the script for why).
pub const LAUNCHER: &str = include_str!("../moto_serialized.py");
/// The emulator's fault mode, which the launcher imports as `faults`.
pub const FAULTS: &str = include_str!("../faults.py");

/// Runs the launcher from memory: its `faults` module from one environment variable, itself from
/// another, so the runner needs no files of the source tree at run time.
const BOOTSTRAP: &str = "import os, sys, types\n\
faults = types.ModuleType('faults')\n\
exec(compile(os.environ.pop('LOOP_EMULATOR_FAULTS'), 'faults.py', 'exec'), faults.__dict__)\n\
sys.modules['faults'] = faults\n\
exec(compile(os.environ.pop('LOOP_EMULATOR_LAUNCHER'), 'moto_serialized.py', 'exec'), {'__name__': '__main__'})\n";

/// A running moto server; stopped when dropped.
pub struct Emulator {
    child: Child,
    pub endpoint_url: String,
}

impl Emulator {
    /// Starts moto with the `python` of the virtualenv that has it installed.
    pub async fn start(python: &Path, port: u16) -> Result<Emulator, EmulatorError> {
        if !python.exists() {
            return Err(EmulatorError::NotInstalled(python.to_owned()));
        }
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Err(EmulatorError::PortInUse(port));
        }
        let mut command = Command::new(python);
        command
            .args(["-c", BOOTSTRAP, "-H", "127.0.0.1", "-p", &port.to_string()])
            .env("LOOP_EMULATOR_FAULTS", FAULTS)
            .env("LOOP_EMULATOR_LAUNCHER", LAUNCHER)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        // If the runner dies without cleaning up (SIGKILL), the kernel stops moto too.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(EmulatorError::Spawn)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(EmulatorError::Exited(status));
            }
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            if Instant::now() > deadline {
                return Err(EmulatorError::Timeout(port));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Emulator { child, endpoint_url: format!("http://127.0.0.1:{port}") })
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
