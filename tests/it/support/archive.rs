//! Archives, compressed files and container images built at test time: zip (stored or
//! deflated), tar, gzip, bzip2, xz, zstd (raw blocks), a `docker save` tarball and an OCI
//! image layout as a tar, and the hostile shapes (a zip whose entries share their data, a
//! gzip of zeros, a truncated zip, an encrypted member).

use std::io::Write as _;

/// A zip of `(name, content)` members; `deflate` compresses them, else they are stored.
pub fn zip(members: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, content) in members {
        w.start_file(*name, opts).expect("zip member");
        w.write_all(content).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// A tar of `(name, content)` regular files.
pub fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, content) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *content).expect("tar member");
    }
    b.into_inner().expect("tar finish")
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip finish")
}

pub fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).expect("bzip2");
    e.finish().expect("bzip2 finish")
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut w = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1))
        .expect("xz writer");
    w.write_all(data).expect("xz");
    w.finish().expect("xz finish")
}

/// A zstd frame of raw (stored) blocks: valid zstd, which any decoder must read.
pub fn zst(data: &[u8]) -> Vec<u8> {
    // Magic, a frame header with no content size and a 1 MiB window, then blocks.
    let mut out = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x50];
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(100_000).collect()
    };
    for (i, c) in chunks.iter().enumerate() {
        let last = u32::from(i + 1 == chunks.len());
        let header = last | ((c.len() as u32) << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(c);
    }
    out
}

/// A `docker save` tarball: `manifest.json`, the config `<hex>.json` and each layer as
/// `<n>/layer.tar`, the layers bottom first.
pub fn docker_save(config: &str, layers: &[Vec<u8>]) -> Vec<u8> {
    let config_name = "8f1e2d3c4b5a69788f1e2d3c4b5a69788f1e2d3c4b5a69788f1e2d3c4b5a6978.json";
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("{:064x}/layer.tar", i + 1))
        .collect();
    let manifest = serde_json::json!([{
        "Config": config_name,
        "RepoTags": ["acme/app:1.0"],
        "Layers": names,
    }])
    .to_string();
    let mut members: Vec<(&str, &[u8])> = vec![(config_name, config.as_bytes())];
    for (n, l) in names.iter().zip(layers) {
        members.push((n, l));
    }
    members.push(("manifest.json", manifest.as_bytes()));
    tar(&members)
}

/// An OCI image layout as a tar: `oci-layout`, `index.json` and `blobs/sha256/` (gzipped
/// layers, the manifest and the config, named by fake digests).
pub fn oci_tar(config: &str, layers: &[Vec<u8>]) -> Vec<u8> {
    let digest = |n: u32| format!("{n:064x}");
    let config_digest = digest(100);
    let layer_digests: Vec<String> = (0..layers.len()).map(|i| digest(i as u32 + 1)).collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_digest}"), "size": config.len()},
        "layers": layer_digests.iter().map(|d| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": format!("sha256:{d}"),
        })).collect::<Vec<_>>(),
    })
    .to_string();
    let manifest_digest = digest(200);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{manifest_digest}")}],
    })
    .to_string();
    let gzipped: Vec<Vec<u8>> = layers.iter().map(|l| gz(l)).collect();
    let names: Vec<String> = layer_digests
        .iter()
        .map(|d| format!("blobs/sha256/{d}"))
        .collect();
    let config_name = format!("blobs/sha256/{config_digest}");
    let manifest_name = format!("blobs/sha256/{manifest_digest}");
    let mut members: Vec<(&str, &[u8])> = vec![
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ("index.json", index.as_bytes()),
        (&manifest_name, manifest.as_bytes()),
        (&config_name, config.as_bytes()),
    ];
    for (n, l) in names.iter().zip(&gzipped) {
        members.push((n, l));
    }
    tar(&members)
}

/// A zip whose central directory lists `copies` entries that all point at the same local
/// header and data: the overlap of the non-recursive zip bombs.
pub fn overlapping_zip(content: &[u8], copies: usize) -> Vec<u8> {
    let one = zip(&[("a.txt", content)], true);
    let cd = find(&one, b"PK\x01\x02").expect("central directory");
    let eocd = find(&one, b"PK\x05\x06").expect("end of central directory");
    let entry = one[cd..eocd].to_vec();
    let mut out = one[..cd].to_vec();
    let cd_start = out.len() as u32;
    for i in 0..copies {
        let mut e = entry.clone();
        // A different name for each (same length): the last character.
        let name_len = u16::from_le_bytes([e[28], e[29]]) as usize;
        e[46 + name_len - 5] = b'a' + (i % 26) as u8;
        out.extend_from_slice(&e);
    }
    let cd_size = out.len() as u32 - cd_start;
    let mut end = one[eocd..].to_vec();
    end[8..10].copy_from_slice(&(copies as u16).to_le_bytes());
    end[10..12].copy_from_slice(&(copies as u16).to_le_bytes());
    end[12..16].copy_from_slice(&cd_size.to_le_bytes());
    end[16..20].copy_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&end);
    out
}

/// A gzip file of `members` concatenated gzip members, each 1 MiB of zeros: about 1 KiB of
/// file per MiB of output.
pub fn gzip_of_zeros(mib: usize) -> Vec<u8> {
    let one = gz(&vec![0u8; 1 << 20]);
    one.repeat(mib)
}

/// Marks every member of a zip as encrypted (the flag bit in the local and central headers),
/// as a zip made with a password says.
pub fn mark_encrypted(mut z: Vec<u8>) -> Vec<u8> {
    let mut at = 0;
    while let Some(i) = find(&z[at..], b"PK\x03\x04") {
        z[at + i + 6] |= 1;
        at += i + 4;
    }
    let mut at = 0;
    while let Some(i) = find(&z[at..], b"PK\x01\x02") {
        z[at + i + 8] |= 1;
        at += i + 4;
    }
    z
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
