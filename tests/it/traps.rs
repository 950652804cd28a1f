//! Look-alikes that must not be reported: AWS documentation examples, placeholders, IAM
//! unique IDs, hashes, integrity strings, base64 blobs, UUIDs, AKIA-like text inside longer
//! tokens, identifiers and paths next to secret keywords, and non-AWS client secrets. Each
//! case must give no finding at all and exit 0.

use crate::support::*;

fn trap(name: &str, file: &str, content: impl AsRef<[u8]>) -> Case {
    Case::new(name).file(file, content)
}

#[test]
fn aws_documentation_examples() {
    let ending = format!("AKIA{}EXAMPLE", &key_id(300)[4..13]);
    assert_eq!(ending.len(), 20);
    let cases = vec![
        trap(
            "docs pair",
            "credentials",
            "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        ),
        trap(
            "docs second pair",
            "config.env",
            "AWS_ACCESS_KEY_ID=AKIAI44QH8DHBEXAMPLE\nAWS_SECRET_ACCESS_KEY=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\n",
        ),
        trap(
            "docs code sample",
            "README.md",
            "```java\nAWSCredentials c = new BasicAWSCredentials(\"AKIAIOSFODNN7EXAMPLE\", \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\");\n```\n",
        ),
        trap(
            "docs lone key and lone secret",
            "notes.txt",
            format!(
                "Your key ID looks like AKIAIOSFODNN7EXAMPLE.\n\n\n\n\n\n\n\nAnother one: {ending}\n\n\n\n\n\n\n\naws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
            ),
        ),
        trap(
            "docs session token",
            "session.ini",
            "[temp]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naws_session_token = AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n",
        ),
    ];
    let mut failures = Vec::new();
    for c in &cases {
        match c.run() {
            Ok(doc) => {
                let ignored = doc["summary"]["examples_ignored"].as_u64().unwrap_or(0);
                if ignored == 0 {
                    failures.push(format!(
                        "[{}] summary.examples_ignored is {}, expected > 0",
                        c.name, doc["summary"]["examples_ignored"]
                    ));
                }
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn placeholders() {
    check_all(vec![
        trap(
            "repeated X",
            "a.ini",
            "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX\naws_secret_access_key = XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n",
        ),
        trap(
            "repeated characters",
            "b.env",
            "AWS_ACCESS_KEY_ID=AKIAAAAAAAAAAAAAAAAA\nAWS_SECRET_ACCESS_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        ),
        trap(
            "lowercase x secret",
            "c.env",
            "AWS_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        ),
        trap(
            "shell variables",
            "deploy.sh",
            "export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID}\nexport AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}\naws s3 cp build s3://acme --recursive\n",
        ),
        trap(
            "os.environ",
            "settings.py",
            "import os\nAWS_ACCESS_KEY_ID = os.environ[\"AWS_ACCESS_KEY_ID\"]\nAWS_SECRET_ACCESS_KEY = os.environ[\"AWS_SECRET_ACCESS_KEY\"]\nsecret_access_key = os.environ.get(\"AWS_SECRET_ACCESS_KEY\", \"\")\n",
        ),
        trap(
            "angle-bracket placeholders",
            "README.md",
            "aws configure set aws_access_key_id <your-access-key-id>\naws configure set aws_secret_access_key <your-secret-key>\n",
        ),
        trap(
            "named placeholders",
            "template.env",
            "AWS_ACCESS_KEY_ID=AKIAYOURKEYGOESHERE2\nAWS_SECRET_ACCESS_KEY=YourAwsSecretAccessKeyWillGoHere2024Prod\naws_secret_access_key = \"REPLACEwithYOURsecretKEYbeforeDeploying1\"\n",
        ),
        trap(
            "github actions secrets expression",
            ".github/workflows/ci.yml",
            "env:\n  AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}\n  AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n",
        ),
    ]);
}

#[test]
fn iam_unique_ids() {
    let mut text = String::from("{\n");
    for (i, prefix) in [
        "AIDA", "AROA", "AGPA", "ANPA", "ANVA", "AIPA", "APKA", "ASCA",
    ]
    .iter()
    .enumerate()
    {
        // The 16-character body makes each exactly as long as a key ID.
        let id = &unique_id(prefix, 310 + i as u64)[..20];
        text.push_str(&format!("  \"{prefix}Id{i}\": \"{id}\",\n"));
    }
    text.push_str("  \"Arn\": \"arn:aws:iam::123456789012:user/deploy\"\n}\n");
    check_all(vec![trap("iam unique ids", "get-user.json", &text)]);
}

#[test]
fn hex_hashes_and_commit_ids() {
    let text = fill(
        "# AWS deploy record\ncommit {{C1}}\nMerge: {{C2}}\naws_secret_access_key_sha1 = {{H1}}\nAWS_SECRET_ACCESS_KEY_CHECKSUM={{H2}}\ns3_etag: \"{{MD5}}\"\nsecret_key_fingerprint: {{H3}}\n",
        &[
            ("C1", &hex(320, 40)),
            ("C2", &hex(321, 40)),
            ("H1", &hex(322, 40)),
            ("H2", &hex(323, 40).to_ascii_uppercase()),
            ("MD5", &hex(324, 32)),
            ("H3", &hex(325, 40)),
        ],
    );
    check_all(vec![trap("hex hashes", "deploy.log", &text)]);
}

#[test]
fn package_lock_integrity_hashes() {
    let mut rng = Rng::new(330);
    let sha512 = b64(&rng.bytes(64));
    let sha1 = b64(&rng.bytes(20));
    let sha512b = b64(&rng.bytes(64));
    let text = fill(
        r#"{
  "name": "aws-uploader",
  "lockfileVersion": 3,
  "packages": {
    "node_modules/@aws-sdk/client-secrets-manager": {
      "version": "3.540.0",
      "resolved": "https://registry.npmjs.org/@aws-sdk/client-secrets-manager/-/client-secrets-manager-3.540.0.tgz",
      "integrity": "sha512-{{A}}"
    },
    "node_modules/aws-sdk": {
      "version": "2.1500.0",
      "integrity": "sha1-{{B}}"
    },
    "node_modules/secret-handshake": {
      "version": "1.1.20",
      "integrity": "sha512-{{C}}"
    }
  }
}
"#,
        &[("A", &sha512), ("B", &sha1), ("C", &sha512b)],
    );
    check_all(vec![trap("package-lock", "package-lock.json", &text)]);
}

#[test]
fn data_uri_image() {
    let mut rng = Rng::new(340);
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(rng.bytes(900));
    let svg = b64(
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"16\" height=\"16\"><path d=\"M0 0h16v16H0z\"/></svg>",
    );
    let text = fill(
        "<!-- AWS S3 bucket console logo -->\n<img alt=\"aws s3\" src=\"data:image/png;base64,{{PNG}}\">\n<style>.secret-icon { background: url(data:image/svg+xml;base64,{{SVG}}); }</style>\n",
        &[("PNG", &b64(&png)), ("SVG", &svg)],
    );
    check_all(vec![trap("data uri", "index.html", &text)]);
}

/// A PEM certificate body: 64-character lines and a last line of exactly 40 characters that
/// looks like a secret access key.
fn pem_certificate() -> String {
    let mut seed = 350;
    loop {
        let body = b64(&Rng::new(seed).bytes(48 * 6 + 30));
        let last = &body[body.len() - 40..];
        if keyhound::aws::keys::is_secret_shape(
            last.as_bytes(),
            keyhound::aws::keys::Strictness::NoKeyword,
        ) {
            let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
            for chunk in body.as_bytes().chunks(64) {
                pem.push_str(std::str::from_utf8(chunk).unwrap());
                pem.push('\n');
            }
            pem.push_str("-----END CERTIFICATE-----\n");
            assert_eq!(pem.lines().rev().nth(1).unwrap().len(), 40);
            return pem;
        }
        seed += 1;
    }
}

#[test]
fn pem_certificate_without_key_id() {
    let pem = pem_certificate();
    let indented: String = pem.lines().map(|l| format!("    {l}\n")).collect();
    let yaml = format!(
        "# AWS IoT Core device credentials\naws_iot:\n  endpoint: a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com\n  certificate_secret: |\n{indented}"
    );
    let python = format!("AWS_IOT_CERT_SECRET = \"\"\"\n{pem}\"\"\"\n");
    let k8s = format!(
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n  name: aws-alb-cert\ndata:\n  tls.crt: {}\n",
        b64(pem.as_bytes())
    );
    check_all(vec![
        trap("pem file", "certs/aws-iot.pem", &pem),
        trap("pem in yaml", "iot.yaml", &yaml),
        trap("pem in python", "iot_cert.py", &python),
        trap("pem in k8s tls secret", "tls.yaml", &k8s),
    ]);
}

#[test]
fn uuids() {
    let text = fill(
        "aws_secret_id: {{U1}}\nAWS_SECRET_ACCESS_KEY_ID={{U2}}\nrequest_id = {{U3}}\nsecret: \"{{U4}}\"\n# aws s3 request {{U5}}{{U6}}\n",
        &[
            ("U1", &uuid(360)),
            ("U2", &uuid(361)),
            ("U3", &uuid(362)),
            ("U4", &uuid(363)),
            ("U5", &uuid(364)),
            ("U6", &uuid(365).to_ascii_uppercase()),
        ],
    );
    check_all(vec![trap("uuids", "ids.yaml", &text)]);
}

#[test]
fn akia_like_text_inside_longer_tokens() {
    let k = key_id(370);
    let mut rng = Rng::new(371);
    let blob = format!("{}{k}{}", rng.string(B64, 120), rng.string(B64, 120));
    check_all(vec![
        trap("prefixed by a letter", "a.txt", format!("token=x{k}\n")),
        trap("23 characters", "b.txt", format!("id = {k}XYZ\n")),
        trap("inside base64 blob", "c.txt", format!("blob: {blob}\n")),
        trap(
            "joined by underscore",
            "d.py",
            "REGION_ASIAPACIFICNORTHEAST = 7\nCONTINENT_ASIAPACIFICNORTHEAST_CODE = 8\n",
        ),
        trap("inside a longer word", "e.txt", format!("ref: ZZ{k}Q2\n")),
    ]);
}

#[test]
fn identifiers_and_paths_next_to_keywords() {
    let camel = "DefaultAwsCredentialsProviderChainHolder";
    let path = "resources/aws/prod/credentialRotationJob";
    let dotted = "com.amazonaws.auth.AWSCredentialsProvide";
    assert_eq!((camel.len(), path.len(), dotted.len()), (40, 40, 40));
    let text = fill(
        "aws_secret_key_provider = {{CAMEL}}\nsecret_key_path: \"{{PATH}}\"\nAWS_SECRET_ACCESS_KEY_CLASS={{DOTTED}}\n",
        &[("CAMEL", camel), ("PATH", path), ("DOTTED", dotted)],
    );
    check_all(vec![
        trap("identifier, path, class name", "app.conf", &text),
        trap(
            "java getter",
            "Config.java",
            "String awsSecretKey = config.getAwsSecretAccessKeyFromVaultStore();\n",
        ),
    ]);
}

#[test]
fn client_secret_without_aws_context() {
    // Random 40-character client secrets in files that say nothing about AWS. One of them
    // happens to contain `S3`/`s3` inside its random characters, which is not AWS context.
    let mut values: Vec<String> = (380..384).map(secret).collect();
    let with_s3 = (1000..)
        .map(secret)
        .find(|s| s.to_ascii_lowercase().contains("s3"))
        .unwrap();
    values.push(with_s3);
    values.push(hex(385, 40));
    let cases = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            trap(
                &format!("client_secret {i} ({v})"),
                "oauth.ini",
                fill(
                    "[oauth]\nprovider = github\nclient_id = Iv1.8a61f9b3a7aba766\nclient_secret = {{V}}\n",
                    &[("V", v)],
                ),
            )
        })
        .collect();
    check_all(cases);
}
