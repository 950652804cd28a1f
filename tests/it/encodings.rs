//! Text encodings credentials hide behind in formats people produce: quoted-printable e-mail
//! bodies (`=3D`, `=2F`, soft line breaks) and base64 MIME parts of a saved `.eml`, JSON
//! `\uXXXX` escapes, the SigV4 credential scope of `Authorization` headers, presigned URLs and
//! HAR files, and the `Token` field of the EC2 instance metadata and ECS credential responses.

use crate::support::*;

/// Quoted-printable as mail clients write it: `=`, `/`, `+` and bytes outside ASCII escaped,
/// lines wrapped at 76 characters with a soft line break (`=` at the end). Also the 1-based
/// line of the encoded text that each byte of `text` starts on.
fn quoted_printable(text: &str) -> (String, Vec<u64>) {
    let mut out = String::new();
    let mut lines = Vec::new();
    let mut line = 1u64;
    let mut width = 0;
    for &b in text.as_bytes() {
        if b == b'\n' {
            out.push_str("\r\n");
            lines.push(line);
            line += 1;
            width = 0;
            continue;
        }
        let piece = if b.is_ascii_graphic() && !matches!(b, b'=' | b'/' | b'+') || b == b' ' {
            char::from(b).to_string()
        } else {
            format!("={b:02X}")
        };
        if width + piece.len() > 75 {
            out.push_str("=\r\n");
            line += 1;
            width = 0;
        }
        lines.push(line);
        width += piece.len();
        out.push_str(&piece);
    }
    (out, lines)
}

const MAIL_HEAD: &str = "From: ops@example.com\r\nTo: dev@example.com\r\nSubject: staging\r\n\
                         MIME-Version: 1.0\r\n";

#[test]
fn quoted_printable_mail_bodies() {
    let (k, s) = (key_id(9400), secret_with_symbols(9400));
    let body = format!(
        "Hi team, the deploy credentials for staging, naïve as it is to mail them: \
         aws_access_key_id={k} and then aws_secret_access_key={s} (rotate after use).\n\
         Thanks\n"
    );
    let head = format!(
        "{MAIL_HEAD}Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    );
    let (qp, lines) = quoted_printable(&body);
    let mail = format!("{head}{qp}");
    let first = head.matches('\n').count() as u64;
    let at = |needle: &str| first + lines[body.find(needle).unwrap()];
    Case::new("quoted-printable")
        .file("staging.eml", &mail)
        .expect(
            pair(&k, &s)
                .key_at(at(&k))
                .enc("quoted_printable")
                .secret_at(at(&s))
                .enc("quoted_printable"),
        )
        .check();
}

#[test]
fn base64_parts_of_a_multipart_mail() {
    let (k, s) = (key_id(9401), secret_with_symbols(9401));
    let ini = format!(
        "# staging profile\n[default]\naws_access_key_id = {k}\naws_secret_access_key = {s}\n\
         region = eu-west-1\n"
    );
    let encoded = b64(ini.as_bytes());
    let wrapped: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let head = format!(
        "{MAIL_HEAD}Content-Type: multipart/mixed; boundary=\"=_b1\"\r\n\r\n\
         --=_b1\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n\
         --=_b1\r\nContent-Type: application/octet-stream; name=credentials\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    );
    let mail = format!("{head}{}\r\n--=_b1--\r\n", wrapped.join("\r\n"));
    let first = head.matches('\n').count() as u64 + 1;
    let at = |needle: &str| first + (ini.find(needle).unwrap() / 57) as u64;
    Case::new("base64 part")
        .file("mail.eml", &mail)
        .expect(
            pair(&k, &s)
                .key_at(at(&k))
                .enc("base64")
                .secret_at(at(&s))
                .enc("base64"),
        )
        .check();
}

#[test]
fn json_unicode_escapes() {
    let (k1, s1) = (key_id(9402), secret_with_symbols(9402));
    let (k2, s2) = (key_id(9403), secret_with_symbols(9403));
    let esc = |s: &str| s.replace('/', "\\u002F").replace('+', "\\u002B");
    // System.Text.Json escapes `+` (and HTML-safe encoders `/`); a JSON string holding JSON
    // has its quotes escaped too.
    let text = format!(
        "{{\n  \"AccessKeyId\": \"{k1}\",\n  \"SecretAccessKey\": \"{}\",\n  \
         \"nested\": \"{{\\u0022AccessKeyId\\u0022:\\u0022{k2}\\u0022,\
         \\u0022SecretAccessKey\\u0022:\\u0022{}\\u0022}}\"\n}}\n",
        esc(&s1),
        esc(&s2)
    );
    let plain = |s: &str| s.bytes().all(|b| b != b'/' && b != b'+');
    let enc = |s: &str| if plain(s) { "plain" } else { "json_escaped" };
    Case::new("json \\u escapes")
        .file("appsettings.json", &text)
        .expect(pair(&k1, &s1).key_at(2).secret_at(3).enc(enc(&s1)))
        .expect(pair(&k2, &s2).key_at(4).secret_at(4).enc(enc(&s2)))
        .check();
}

#[test]
fn sigv4_credential_scopes() {
    let (k1, k2, k3) = (key_id(9404), key_id(9405), key_id(9406));
    let sig = hex(9404, 64);
    let curl = format!(
        "> GET /bucket/report.csv HTTP/1.1\n> Host: bucket.s3.amazonaws.com\n\
         > Authorization: AWS4-HMAC-SHA256 Credential={k1}/20260101/us-east-1/s3/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature={sig}\n"
    );
    let url = format!(
        "https://bucket.s3.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&\
         X-Amz-Credential={k2}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z\
         &X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}\n"
    );
    let har = format!(
        "{{\"log\": {{\"entries\": [{{\"request\": {{\n\
         \"url\": \"https://bucket.s3.amazonaws.com/k?X-Amz-Credential={k3}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request\",\n\
         \"headers\": [{{\"name\": \"Authorization\", \"value\": \"AWS4-HMAC-SHA256 \
         Credential={k3}\\/20260101\\/us-east-1\\/s3\\/aws4_request, Signature={sig}\"}}],\n\
         \"queryString\": [{{\"name\": \"X-Amz-Credential\", \"value\": \"{k3}/20260101/us-east-1/s3/aws4_request\"}}]\n\
         }}}}]}}}}\n"
    );
    check_all(vec![
        Case::new("authorization header")
            .file("curl.log", &curl)
            .expect(lone_key(&k1).key_at(3)),
        Case::new("presigned url")
            .file("links.txt", &url)
            .expect(lone_key(&k2).key_at(1)),
        Case::new("har")
            .file("session.har", &har)
            .expect(lone_key(&k3).key_at(2).key_at(3).key_at(4)),
        // A key ID shape before a slash and what is no date (a base64 run, a path) is no key.
        Case::new("not a scope").file(
            "blob.txt",
            format!("data = {k1}/2026010/xyz\nother = {k1}/Zm9vYmFy/y\n"),
        ),
    ]);
}

#[test]
fn instance_metadata_and_container_credentials() {
    let (k1, s1, t1) = (
        asia_key_id(9407),
        secret(9407),
        session_token_realistic(9407),
    );
    let (k2, s2, t2) = (
        asia_key_id(9408),
        secret(9408),
        session_token_realistic(9408),
    );
    // `curl http://169.254.169.254/latest/meta-data/iam/security-credentials/role`
    let imds = format!(
        "{{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-01-01T00:00:00Z\",\n  \
         \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"{k1}\",\n  \"SecretAccessKey\" : \
         \"{s1}\",\n  \"Token\" : \"{t1}\",\n  \"Expiration\" : \"2026-01-01T06:00:00Z\"\n}}\n"
    );
    // `curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, on one line.
    let ecs = format!(
        "{{\"AccessKeyId\":\"{k2}\",\"Expiration\":\"2026-01-01T06:00:00Z\",\
         \"RoleArn\":\"arn:aws:iam::123456789012:role/task\",\"SecretAccessKey\":\"{s2}\",\
         \"Token\":\"{t2}\"}}\n"
    );
    // A `Token` with no temporary key pair is not reported on its own.
    let other = format!(
        "{{\"Token\": \"{}\", \"user\": \"ci\"}}\n",
        session_token(9409)
    );
    check_all(vec![
        Case::new("imds").file("imds.json", &imds).expect(
            pair(&k1, &s1)
                .with_token(&t1)
                .key_at(5)
                .secret_at(6)
                .token_at(7),
        ),
        Case::new("ecs").file("ecs.json", &ecs).expect(
            pair(&k2, &s2)
                .with_token(&t2)
                .key_at(1)
                .secret_at(1)
                .token_at(1),
        ),
        Case::new("lone Token").file("api.json", &other),
    ]);
}
