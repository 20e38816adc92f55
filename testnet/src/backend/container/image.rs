//! The node's container image, built offline: no base image is pulled (this machine, like CI,
//! has no registry). The build context holds the release `rumor` binary and exactly the shared
//! libraries it links (`ldd`), an `/etc/passwd` naming the non-root user, and an empty data
//! directory; `node/docker/Dockerfile.scratch` turns it into an image `FROM scratch`.
//!
//! Images are tagged by the binary's content ([`tag_for`]), so a testnet always runs the binary
//! the tool was pointed at, and an unchanged binary is not rebuilt.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::docker;
use crate::error::{Error, Result, io};

/// The offline Dockerfile (one definition, next to the conventional one).
pub const DOCKERFILE: &str = include_str!("../../../../node/docker/Dockerfile.scratch");
/// The image's repository name.
pub const REPOSITORY: &str = "rumor";
/// The user the node runs as inside the image (not root).
pub const UID: u32 = 10001;
/// Where the image keeps the binary.
pub const BINARY: &str = "/usr/local/bin/rumor";

/// `rumor:<first 12 hex of the binary's SHA-256>`.
pub fn tag_for(binary: &Path) -> Result<String> {
    let bytes = std::fs::read(binary).map_err(io(binary))?;
    let digest = Sha256::digest(&bytes);
    Ok(format!("{REPOSITORY}:{}", &hex::encode(digest)[..12]))
}

/// The shared objects `ldd` lists for `binary` (the loader included, the vDSO left out).
pub fn parse_ldd(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = match l.split_once("=>") {
                Some((_, rest)) => rest.trim(),
                None => l,
            };
            let path = path.split(" (").next()?.trim();
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

/// What went into an image.
#[derive(Debug, Clone)]
pub struct Built {
    pub tag: String,
    /// The libraries copied next to the binary.
    pub libraries: Vec<PathBuf>,
    /// `false`: the tag already existed and nothing was built.
    pub built: bool,
}

/// Whether an image with this tag exists in the local engine.
pub async fn exists(tag: &str) -> bool {
    docker::docker(["image", "inspect", "--format", "{{.Id}}", tag])
        .await
        .is_ok()
}

/// Builds the image for `binary` as `tag` unless it exists.
pub async fn ensure(binary: &Path, tag: &str) -> Result<Built> {
    if exists(tag).await {
        return Ok(Built {
            tag: tag.to_owned(),
            libraries: Vec::new(),
            built: false,
        });
    }
    build(binary, tag).await
}

/// Writes the build context into `ctx` (created; must not exist).
pub async fn write_context(binary: &Path, ctx: &Path) -> Result<Vec<PathBuf>> {
    let ldd = docker::output("ldd", [binary]).await.map_err(|e| {
        Error::Docker(format!(
            "cannot list the libraries {} links ({e}); is it a dynamically linked Linux binary?",
            binary.display()
        ))
    })?;
    let libraries = parse_ldd(&ldd);
    // ~120 MB of copies: on the blocking pool, not the runtime's threads.
    let (binary, ctx, libs) = (binary.to_path_buf(), ctx.to_path_buf(), libraries.clone());
    tokio::task::spawn_blocking(move || copy_rootfs(&binary, &ctx, &libs))
        .await
        .map_err(|e| Error::Docker(format!("image context: {e}")))??;
    Ok(libraries)
}

/// The context's files: the binary, its libraries at the paths it asks for, the user files.
fn copy_rootfs(binary: &Path, ctx: &Path, libraries: &[PathBuf]) -> Result<()> {
    let rootfs = ctx.join("rootfs");
    let put = |from: &Path, to: &Path| -> Result<()> {
        let dest = rootfs.join(to.strip_prefix("/").unwrap_or(to));
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        // Follows symlinks: the image holds the file itself under the name the binary asks for.
        std::fs::copy(from, &dest).map_err(io(from))?;
        Ok(())
    };
    put(binary, Path::new(BINARY))?;
    for lib in libraries {
        put(lib, lib)?;
    }
    let etc = rootfs.join("etc");
    std::fs::create_dir_all(&etc).map_err(io(&etc))?;
    let passwd = format!(
        "root:x:0:0:root:/root:/sbin/nologin\nrumor:x:{UID}:{UID}:rumor:/data:/sbin/nologin\n"
    );
    let group = format!("root:x:0:\nrumor:x:{UID}:\n");
    for (name, text) in [("passwd", passwd), ("group", group)] {
        let p = etc.join(name);
        std::fs::write(&p, text).map_err(io(&p))?;
    }
    for dir in [
        rootfs.join("tmp"),
        rootfs.join("etc/rumor"),
        ctx.join("data"),
    ] {
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    }
    let df = ctx.join("Dockerfile");
    std::fs::write(&df, DOCKERFILE).map_err(io(&df))?;
    Ok(())
}

/// Builds the image (`docker build` of a context made by [`write_context`]).
pub async fn build(binary: &Path, tag: &str) -> Result<Built> {
    let ctx = std::env::temp_dir().join(format!("rumor-image-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&ctx);
    let result = async {
        let libraries = write_context(binary, &ctx).await?;
        docker::docker([
            "build".as_ref(),
            "--quiet".as_ref(),
            "--tag".as_ref(),
            tag.as_ref(),
            ctx.as_os_str(),
        ])
        .await?;
        Ok(Built {
            tag: tag.to_owned(),
            libraries,
            built: true,
        })
    }
    .await;
    let _ = std::fs::remove_dir_all(&ctx);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_lines_name_the_libraries() {
        let text = "\tlinux-vdso.so.1 (0x00007ffd)\n\
                    \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f)\n\
                    \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\
                    \t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n";
        assert_eq!(
            parse_ldd(text),
            vec![
                PathBuf::from("/lib/x86_64-linux-gnu/libgcc_s.so.1"),
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2"),
            ]
        );
    }

    #[test]
    fn the_dockerfile_runs_as_the_non_root_user_with_a_data_volume() {
        assert!(DOCKERFILE.contains("FROM scratch"));
        assert!(DOCKERFILE.contains(&format!("USER {UID}:{UID}")));
        assert!(DOCKERFILE.contains("VOLUME [\"/data\"]"));
        assert!(DOCKERFILE.contains("HEALTHCHECK"));
    }
}
