//! Checksums that a rule's secret must carry (`checksum = "..."` in a rule file; the names are
//! `rule::file::Checksum`). A token format with a checksum tells a real token from a made-up
//! or mistyped one without asking the provider, so a value that fails it is not reported. An
//! encoded value is checked the same way by what it decodes to (`base64-user-password`).

use crate::rule::file::Checksum;

mod azure;
mod coins;

/// Whether `secret` carries a valid `checksum`.
pub(crate) fn valid(checksum: Checksum, secret: &[u8]) -> bool {
    match checksum {
        Checksum::GithubCrc32 => github_crc32(secret),
        Checksum::Base64UserPassword => base64_user_password(secret),
        Checksum::Jwt => jwt(secret),
        Checksum::AtlassianDcToken => atlassian_dc_token(secret),
        Checksum::AzureIdentifiable => azure::identifiable(secret),
        Checksum::AtlassianCrc32 => atlassian_crc32(secret),
        Checksum::GrafanaCrc32 => grafana_crc32(secret),
        Checksum::Base58Check => coins::base58check(secret),
        Checksum::Bech32 => coins::bech32(secret),
        Checksum::DiscordBotToken => discord_bot_token(secret),
        Checksum::GitlabRoutable => gitlab_routable(secret),
        Checksum::Crc32Hex => crc32_hex(secret),
        Checksum::Base64Value => base64_value(secret),
    }
}

/// Whether decoded bytes are text: not empty, printable ASCII, tabs and line breaks.
fn is_text(plain: &[u8]) -> bool {
    !plain.is_empty()
        && plain
            .iter()
            .all(|b| (0x20..0x7F).contains(b) || matches!(b, b'\n' | b'\r' | b'\t'))
}

/// A base64 value that is not a placeholder or a name once decoded (see
/// `Checksum::Base64Value`): `dGhpc19pc190aGVfc2VjcmV0` (`this_is_the_secret`) and
/// `cmF0ZWxpbWl0LXVzZXI=` (`ratelimit-user`) fail, random bytes and generated passwords pass.
fn base64_value(secret: &[u8]) -> bool {
    let Some(plain) = crate::aws::base64_decode(secret) else {
        return false;
    };
    if !is_text(&plain) {
        return !plain.is_empty();
    }
    let trimmed = plain.trim_ascii();
    let lower = trimmed.to_ascii_lowercase();
    const PLACEHOLDERS: [&[u8]; 10] = [
        b"secret",
        b"password",
        b"passwd",
        b"test",
        b"example",
        b"admin",
        b"dummy",
        b"sample",
        b"fake",
        b"changeme",
    ];
    let placeholder_word = lower.len() < 32
        && PLACEHOLDERS
            .iter()
            .any(|p| memchr::memmem::find(&lower, p).is_some());
    // Words of one case joined by `-`, `_` or `.` (`ratelimit-user`), not a random mix.
    let name = trimmed.len() < 20
        && trimmed.iter().any(|b| matches!(b, b'-' | b'_' | b'.'))
        && trimmed
            .split(|b| matches!(b, b'-' | b'_' | b'.'))
            .all(|w| w.iter().all(u8::is_ascii_lowercase) || w.iter().all(u8::is_ascii_uppercase));
    !(placeholder_word || name || crate::rule::placeholder::is_placeholder(trimmed))
}

/// A token whose last 8 characters are the CRC-32 of the rest in lower-case hex (see
/// `Checksum::Crc32Hex`).
fn crc32_hex(secret: &[u8]) -> bool {
    let Some((body, check)) = secret.len().checked_sub(8).map(|n| secret.split_at(n)) else {
        return false;
    };
    !body.is_empty() && format!("{:08x}", crc32fast::hash(body)).as_bytes() == check
}

/// A GitLab token (see `Checksum::GitlabRoutable`): one of the older form (no `.`) passes; a
/// routable one ends in `.` (after `.01.`, the version, in the current form), the length of its
/// base64url payload in two base-36 characters, and the CRC-32 of all before it in seven, as
/// GitLab's own check reads it (`Zlib.crc32(token[...-7]) == token[-7, 7].to_i(36)`). The
/// payload itself is not decoded: GitLab's design document makes the CRC the check for secret
/// detection, and the payload's layout (routing lines, random bytes, their count) has changed
/// order since.
fn gitlab_routable(secret: &[u8]) -> bool {
    let Some(dot) = secret.iter().rposition(|&b| b == b'.') else {
        return true;
    };
    let (front, tail) = secret.split_at(dot);
    let tail = tail.get(1..).unwrap_or(&[]);
    let base36 = |digits: &[u8]| -> Option<u64> {
        digits.iter().try_fold(0u64, |n, &b| {
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'z' => b - b'a' + 10,
                _ => return None,
            };
            n.checked_mul(36)?.checked_add(u64::from(d))
        })
    };
    let (Some(holder), Some(crc), 9) = (
        tail.get(..2).and_then(base36),
        tail.get(2..).and_then(base36),
        tail.len(),
    ) else {
        return false;
    };
    // The payload ends before the version where there is one (`<payload>.01.`).
    let payload_end = match front.iter().rposition(|&b| b == b'.') {
        Some(v) if front.len() - v == 3 && front.get(v + 1..).and_then(base36).is_some() => v,
        Some(_) => return false,
        None => front.len(),
    };
    let Ok(length) = usize::try_from(holder) else {
        return false;
    };
    // 27 to 300 characters (GitLab's design document), all of base64url, within the token.
    let payload_ok = (27..=300).contains(&length)
        && payload_end
            .checked_sub(length)
            .and_then(|start| front.get(start..payload_end))
            .is_some_and(|p| {
                p.iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
    let body = secret.get(..secret.len().saturating_sub(7)).unwrap_or(&[]);
    payload_ok && u64::from(crc32fast::hash(body)) == crc
}

/// A Discord bot token (see `Checksum::DiscordBotToken`): its user id part decodes to a
/// snowflake, and the other two parts are there.
fn discord_bot_token(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(id), Some(time), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(id) = crate::aws::base64_decode(id) else {
        return false;
    };
    (17..=20).contains(&id.len())
        && id.iter().all(u8::is_ascii_digit)
        && id.first() != Some(&b'0')
        && !time.is_empty()
        && !mac.is_empty()
}

/// An Atlassian API or access token (see `Checksum::AtlassianCrc32`).
fn atlassian_crc32(secret: &[u8]) -> bool {
    let Some((body, check)) = secret
        .len()
        .checked_sub(8)
        .map(|n| secret.split_at(n))
        .filter(|(body, _)| body.last() == Some(&b'='))
    else {
        return false;
    };
    format!("{:08X}", crc32fast::hash(body)).as_bytes() == check
}

/// A Grafana service account token (see `Checksum::GrafanaCrc32`).
fn grafana_crc32(secret: &[u8]) -> bool {
    let Some(us) = secret.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let (body, check) = secret.split_at(us);
    let sum = crc32fast::hash(body).to_le_bytes();
    let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
    check
        .get(1..)
        .is_some_and(|c| c.eq_ignore_ascii_case(hex.as_bytes()))
}

/// An Atlassian Data Center token (see `Checksum::AtlassianDcToken`).
fn atlassian_dc_token(secret: &[u8]) -> bool {
    let body = secret.strip_prefix(b"BBDC-").unwrap_or(secret);
    let Some(plain) = crate::aws::base64_decode(body) else {
        return false;
    };
    let Some(colon) = plain.iter().position(|&b| b == b':') else {
        return false;
    };
    let (id, random) = plain.split_at(colon);
    // Padding exactly as the length needs it (none for a 12-digit id): a `=` after a whole
    // token is not part of it.
    let pad = body.iter().rev().take_while(|&&b| b == b'=').count();
    pad == (3 - plain.len() % 3) % 3
        && (pad == 0 || body.len() % 4 == 0)
        && (8..=14).contains(&id.len())
        && id.iter().all(u8::is_ascii_digit)
        && random.len() == 21
}

/// A JSON Web Token (see `Checksum::Jwt`).
fn jwt(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let object = |part: &[u8]| {
        crate::aws::base64_decode(part).and_then(|json| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json).ok()
        })
    };
    !signature.is_empty()
        && object(header).is_some_and(|h| h.get("alg").is_some_and(serde_json::Value::is_string))
        && object(payload).is_some()
}

/// Base64 of `user:password` with a real-looking password (see `Checksum::Base64UserPassword`).
fn base64_user_password(secret: &[u8]) -> bool {
    let Some(plain) = crate::aws::base64_decode(secret) else {
        return false;
    };
    // Printable ASCII; line breaks too (Google's `_json_key` user has a JSON key as password).
    if !is_text(&plain) {
        return false;
    }
    let Some(colon) = plain.iter().position(|&b| b == b':') else {
        return false;
    };
    let (Some(user), Some(password)) = (plain.get(..colon), plain.get(colon + 1..)) else {
        return false;
    };
    if user.is_empty() || password.len() < 4 {
        return false;
    }
    let lower = password.to_ascii_lowercase();
    // `sesame`: `Aladdin:open sesame`, the example of RFC 2617 and RFC 7617, and its spellings.
    const PLACEHOLDERS: [&[u8]; 11] = [
        b"sesame",
        b"password",
        b"passwd",
        b"passw0rd",
        b"changeme",
        b"secret",
        b"example",
        b"xxxx",
        b"****",
        b"your",
        b"token",
    ];
    const WHOLE: [&[u8]; 8] = [
        b"pass", b"test", b"demo", b"admin", b"guest", b"root", b"1234", b"12345",
    ];
    // A placeholder word counts in a password of typing length only: a long value (a JSON key
    // file as Google's `_json_key` password, a token) is judged by its shape, and its text may
    // well hold `token` or `secret` (`"token_uri"`, `"private_key"`).
    let placeholder = (lower.len() <= 40
        && PLACEHOLDERS
            .iter()
            .any(|p| memchr::memmem::find(&lower, p).is_some()))
        || matches!(lower.first(), Some(b'$' | b'<' | b'%'))
        || lower.starts_with(b"{{")
        || lower
            .iter()
            .all(|&b| b == lower.first().copied().unwrap_or(0))
        // The short words of documentation (`user:pass`, `admin:admin`, `test:test`): the
        // whole password, or the user name again.
        || WHOLE.contains(&lower.as_slice())
        || lower == user.to_ascii_lowercase();
    !placeholder
}

/// GitHub's and npm's token format: `<prefix>_<body>`, where the body is base62 and its last 6
/// characters are the CRC-32 of the rest of the body, in base62 padded with `0`
/// (<https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/>).
fn github_crc32(secret: &[u8]) -> bool {
    let body = match secret.iter().rposition(|&b| b == b'_') {
        Some(i) => secret.get(i + 1..).unwrap_or_default(),
        None => secret,
    };
    let Some(split) = body.len().checked_sub(6).filter(|&n| n > 0) else {
        return false;
    };
    if !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (payload, check) = body.split_at(split);
    base62_padded(crc32fast::hash(payload), 6).as_bytes() == check
}

/// `n` in base62 (`0-9A-Za-z`), padded on the left with `0` to `width` digits.
fn base62_padded(mut n: u32, width: usize) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(width);
    while n > 0 {
        out.push(DIGITS.get((n % 62) as usize).copied().unwrap_or(b'0'));
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token with a valid checksum, built the way GitHub builds one.
    fn token(prefix: &str, payload: &str) -> String {
        let check = base62_padded(crc32fast::hash(payload.as_bytes()), 6);
        format!("{prefix}_{payload}{check}")
    }

    #[test]
    fn base62_digits_and_padding() {
        assert_eq!(base62_padded(0, 6), "000000");
        assert_eq!(base62_padded(61, 6), "00000z");
        assert_eq!(base62_padded(62, 6), "000010");
        assert_eq!(base62_padded(u32::MAX, 6), "4gfFC3");
    }

    #[test]
    fn known_crc32() {
        // CRC-32/IEEE of "123456789" is 0xCBF43926, the standard check value.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        assert_eq!(base62_padded(0xCBF4_3926, 6), "3jZRME");
    }

    #[test]
    fn github_tokens_with_their_checksum_pass() {
        for prefix in ["ghp", "gho", "ghu", "ghs", "npm"] {
            let t = token(prefix, "Vq3ZbT8yW2nKpL5xR9cF1mH4jD7sGa");
            assert_eq!(t.len(), prefix.len() + 1 + 36);
            assert!(valid(Checksum::GithubCrc32, t.as_bytes()), "{t}");
        }
        // A public sample whose checksum is GitHub's own.
        assert!(valid(
            Checksum::GithubCrc32,
            b"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"
        ));
    }

    #[test]
    fn base64_values_are_judged_by_what_they_decode_to() {
        let ok = |plain: &[u8]| {
            valid(
                Checksum::Base64Value,
                crate::aws::base64_encode(plain).as_bytes(),
            )
        };
        // Generated passwords and key material pass.
        assert!(ok(b"kX9#mP2vQ7rT4wL8"));
        assert!(ok(b"Zq8vN2kL5pR7tW3yB6nM1cF4"));
        assert!(ok(b"EnSvBQVOUjmBFVVy"));
        assert!(ok(&[0x9c, 0x01, 0xff, 0x42, 0x00, 0x17, 0x88, 0xe3, 0x5a]));
        // Placeholders and names fail.
        for plain in [
            &b"this_is_the_secret"[..],
            b"admin_password",
            b"secret_data1",
            b"TESTROOTCAS0",
            b"CA1-secret",
            b"ratelimit-user",
            b"my-oauth-client",
            b"abcdefgh12345678",
            b"aaaaaaaaaaaaaaaa",
        ] {
            assert!(!ok(plain), "{}", String::from_utf8_lossy(plain));
        }
        assert!(!valid(Checksum::Base64Value, b"not base64!"));
        assert!(!valid(Checksum::Base64Value, b""));
    }

    #[test]
    fn base64_user_passwords_decode_to_a_user_and_a_real_password() {
        let b64 = |s: &str| crate::aws::base64_encode(s.as_bytes());
        let ok = |s: &str| valid(Checksum::Base64UserPassword, b64(s).as_bytes());
        assert!(ok("ci-bot:Jx7q2VmL9sKd"));
        assert!(!ok("Aladdin:open sesame"));
        assert!(!ok("aladdin:opensesame"));
        assert!(ok("deploy@acme.io:dckr_pat_d4S-cgUsWELie_1U4b7ot4s6hSZ"));
        assert!(ok(
            "_json_key:{\n  \"type\": \"service_account\",\n  \"project_id\": \"x\"\n}"
        ));
        // A whole service-account key, whose text names a token endpoint and a secret.
        assert!(ok("_json_key:{\"type\": \"service_account\", \"private_key_id\": \"4f1c9a\", \"token_uri\": \"https://oauth2.googleapis.com/token\", \"client_secret\": \"k\"}"));
        // No colon, no user, a short or placeholder password, a variable, not text.
        assert!(!ok("ci-bot"));
        assert!(!ok(":Jx7q2VmL9sKd"));
        assert!(!ok("ci-bot:abc"));
        assert!(!ok("user:password"));
        assert!(!ok("admin:Passw0rd!"));
        assert!(!ok("user:${REGISTRY_PASSWORD}"));
        assert!(!ok("user:<token>"));
        assert!(!ok("user:{{ registry_password }}"));
        assert!(!ok("user:aaaaaaaa"));
        assert!(!ok("user:pass"));
        assert!(!ok("admin:Admin"));
        assert!(!ok("deploy:deploy"));
        assert!(ok("deploy:pass-Jx7q2V"));
        assert!(!valid(Checksum::Base64UserPassword, b"!!!!"));
        assert!(!valid(Checksum::Base64UserPassword, b"AAECAwQFBgc="));
        assert!(!valid(Checksum::Base64UserPassword, b""));
    }

    #[test]
    fn atlassian_data_center_tokens_are_an_id_and_20_bytes() {
        let ok = |s: &str| valid(Checksum::AtlassianDcToken, s.as_bytes());
        // base64 of "597243922500:" and 20 bytes; with Bitbucket's prefix too.
        assert!(ok("NTk3MjQzOTIyNTAwOtFOuTsHRIp1E81GApKpC2xpEzfz"));
        assert!(ok("BBDC-NTk3MjQzOTIyNTAwOtFOuTsHRIp1E81GApKpC2xpEzfz"));
        // A character of the id changed (no longer digits), the random part cut short,
        // a run of one character, no colon.
        assert!(!ok("NTk3ajQzOTIyNTAwOtFOuTsHRIp1E81GApKpC2xpEzfz"));
        assert!(!ok("NTk3MjQzOTIyNTAwOtFOuTsHRIp1E81GApKpC2xp"));
        assert!(!ok("BBDC-1111111111111111111111111111111111111111"));
        assert!(!ok("MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz"));
        // Padding that the length does not need.
        assert!(!ok("NTk3MjQzOTIyNTAwOtFOuTsHRIp1E81GApKpC2xpEzfz="));
    }

    #[test]
    fn gitlab_routable_tokens_end_in_their_length_and_crc() {
        let ok = |s: &str| valid(Checksum::GitlabRoutable, s.as_bytes());
        // The two examples of GitLab's design document for routable tokens: the shortest (no
        // prefix) and the longest (a 20-character prefix, a payload of 300).
        assert!(ok("bzoxd_Rb5_cHeWe1JH56wr2FCBA.0r1pum4t4"));
        let longest = format!(
            "{}{}{}",
            "+".repeat(20),
            "YzozdzVlMTEyNjRzZ3NmCmc6M3c1ZTExMjY0c2dzZgpoOjN3NWUxMTI2NHNnc2YKajozdzVlMTEyNjRzZ3NmCms6M3c1ZTExMjY0c2dzZgpsOjN3NWUxMTI2NHNnc2YKbTozdzVlMTEyNjRzZ3NmCm86M3c1ZTExMjY0c2dzZgpwOjN3NWUxMTI2NHNnc2YKdTozdzVlMTEyNjRzZ3Nmw5bzMmayzK43Ugba9fl8T_I-nZqc5gxOGH2HsUF6-J7UesTG4lmc3PT2aoPyuiUndG5Ci5IMThAbaiNkUTR87KBB",
            ".8c1adh6iv"
        );
        assert!(valid(Checksum::GitlabRoutable, longest.as_bytes()));
        // Built as GitLab builds them (random payloads): with the version field, as GitLab
        // issues them now, for each kind of token, with the random bytes first (the payload's
        // order since 2025) and last, and without the version field.
        for t in [
            "glpat-lCoIndjCt0JiiOMHcegMNm86NDJrNAp1OjVrbGl1EA.01.1610fwo18",
            "glpat-bzo3YTBjCnU6MWk4c3UdbRMs3tYjey7ZHj9yH8sZEA.01.161ib4w4x",
            "glpat-YzoxCm86OHZnMwp1OmhkMzRxF0SU1kk8nVw0YL4xIB5pEA.01.1a1kxy9ah",
            "glrt-t1_YzoxCm86MQp0OjH-2qDu6LmZf1x8KZn9r-WTEA.01.121tjv0ng",
            "gldt-bzoxbWx2CnA6NWNwNzUlPNZUr0361xQnoK6z_ukjEA.01.161j8u1wa",
            "glpat-bzoxCnU6Mh5vk0J-y8j-KVXlzY5G3I4Q.0w161fxim",
        ] {
            assert!(ok(t), "{t}");
            // Any character changed breaks the CRC (but the last `.`: without it, the token has
            // the older form, which carries none).
            for i in (0..t.len()).filter(|&i| Some(i) != t.rfind('.')) {
                let mut b = t.as_bytes().to_vec();
                if let Some(c) = b.get_mut(i) {
                    *c = if *c == b'a' { b'b' } else { b'a' };
                }
                assert!(!valid(Checksum::GitlabRoutable, &b), "{t} changed at {i}");
            }
        }
        // The older form carries no checksum.
        assert!(ok("glpat-IWw4vLhNY59LjTilqWMj"));
        // A CRC that is not the text's (a suite's made-up sample), a length longer than the
        // token (CRC recomputed), a short tail, upper-case base 36, a version of one
        // character, a `.` and nothing after it.
        assert!(!ok("glpat-q7vp50umlov9oedwz5h02drfzck.hfhwo3wc5"));
        assert!(!ok("glpat-bzoxCnU6Mh5vk0J-y8j-KVXlzY5G3I4Q.140qzxtz9"));
        assert!(!ok("glpat-bzoxCnU6Mh5vk0J-y8j-KVXlzY5G3I4Q.01.161fxi"));
        assert!(!ok("glpat-bzoxCnU6Mh5vk0J-y8j-KVXlzY5G3I4Q.0W161FXIM"));
        assert!(!ok("glpat-bzoxCnU6Mh5vk0J-y8j-KVXlzY5G3I4Q.1.0w161fxim"));
        assert!(!ok("."));
    }

    #[test]
    fn jwts_have_json_header_and_payload() {
        let ok = |s: &str| valid(Checksum::Jwt, s.as_bytes());
        // {"alg":"HS256","typ":"JWT"} . {"sub":"5193b709","iat":1658456689} . signature
        assert!(ok("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI1MTkzYjcwOSIsImlhdCI6MTY1ODQ1NjY4OX0.TsNjWQKMf2ySIPYetPb_OkTi9G3bnM5JxuKApU0xPdg"));
        // One character of the header changed: `{"alg":"HS256",\x12typ"...` is not JSON.
        assert!(!ok("eyJhbGciOiJIUzI1NiIsEnR5cCI6IkpXVCJ9.eyJzdWIiOiI1MTkzYjcwOSIsImlhdCI6MTY1ODQ1NjY4OX0.TsNjWQKMf2ySIPYetPb_OkTi9G3bnM5JxuKApU0xPdg"));
        // Random letters after `eyJ` in the payload.
        assert!(!ok("eyJhbGciOiJIUzI1NiJ9.eyJ5nzGXjcjJ2CaJVf8LF1cNVd07A4XSYHvHK1MQMuum.TsNjWQKMf2ySIPYetPb_OkTi9G3bnM5JxuKApU0xPdg"));
        // A header without `alg`, no signature, two or four parts.
        assert!(!ok(
            "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.TsNjWQKMf2ySIPYetPb"
        ));
        assert!(!ok("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0."));
        assert!(!ok("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"));
        assert!(!ok("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.TsNj.WQKM"));
    }

    #[test]
    fn crc32_hex_is_the_lower_case_crc_of_all_before_it() {
        let body = "cnvcaQm7Xv2Kp9Lt4Wz8Rn3Bc6Hd1Jf5Gs0Ay2Ue9Io4Kt7Ld3";
        let token = format!("{body}{:08x}", crc32fast::hash(body.as_bytes()));
        assert!(valid(Checksum::Crc32Hex, token.as_bytes()), "{token}");
        // One character of the body changed, the checksum in upper case, or cut short.
        let typo = token.replacen("Qm7", "Qm8", 1);
        assert!(!valid(Checksum::Crc32Hex, typo.as_bytes()));
        let upper = format!("{body}{:08X}", crc32fast::hash(body.as_bytes()));
        assert!(upper == token || !valid(Checksum::Crc32Hex, upper.as_bytes()));
        let short = token.get(..token.len() - 1).unwrap_or_default();
        assert!(!valid(Checksum::Crc32Hex, short.as_bytes()));
        assert!(!valid(Checksum::Crc32Hex, b"00000000"));
        assert!(!valid(Checksum::Crc32Hex, b""));
    }

    #[test]
    fn atlassian_and_grafana_crc32() {
        // Built as the services build them: the CRC-32 of what precedes the checksum.
        let body = format!(
            "ATATT3xFfGF0{}=",
            "Qm7Xv2Kp9Lt4Wz8Rn3Bc6Hd1Jf5Gs0Ay2Ue9Io4Kt7".repeat(4)
        );
        let token = format!("{body}{:08X}", crc32fast::hash(body.as_bytes()));
        assert!(valid(Checksum::AtlassianCrc32, token.as_bytes()));
        let typo = token.replacen("Qm7", "Qm8", 1);
        assert!(!valid(Checksum::AtlassianCrc32, typo.as_bytes()));
        assert!(!valid(
            Checksum::AtlassianCrc32,
            token.to_lowercase().as_bytes()
        ));
        assert!(!valid(Checksum::AtlassianCrc32, b"ATATT3xFfGF0"));
        assert!(!valid(Checksum::AtlassianCrc32, b""));
        let body = "glsa_27QBqddwBTVPQc5B6K0XmDbieGEXUwSJ";
        let sum = crc32fast::hash(body.as_bytes()).to_le_bytes();
        let token = format!(
            "{body}_{}",
            sum.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        assert!(valid(Checksum::GrafanaCrc32, token.as_bytes()), "{token}");
        assert!(!valid(
            Checksum::GrafanaCrc32,
            token.replacen("27Q", "28Q", 1).as_bytes()
        ));
        assert!(!valid(Checksum::GrafanaCrc32, b"glsa_"));
        assert!(!valid(Checksum::GrafanaCrc32, b"glsa_x_"));
        assert!(!valid(Checksum::GrafanaCrc32, b""));
    }

    #[test]
    fn discord_bot_tokens_start_with_a_snowflake() {
        let ok = |s: &str| valid(Checksum::DiscordBotToken, s.as_bytes());
        // base64 of "1183727450192837465" and "549360843780571513".
        assert!(ok(
            "MTE4MzcyNzQ1MDE5MjgzNzQ2NQ.gtD7fG.UOv8fwNfBb0jXxUJR4QQAAabVVloZaXZxmCu1V"
        ));
        assert!(ok(
            "NTQ5MzYwODQzNzgwNTcxNTEz.6ChFfR.zg-aa4kHZcKY_gJcfaB_Mi0CYP2_qzIQAt1Dhz"
        ));
        // A letter in the id (`11a37…`), random letters, too few or too many parts.
        assert!(!ok(
            "MTFhMzcyNzQ1MDE5MjgzNzQ2NQ.ShIqmA.rIntn9oX98WHgCtzC1uwB5FXZPf7stg7NvlE3L"
        ));
        assert!(!ok(
            "Qm7Xv2Kp9Lt4Wz8Rn3Bc6Hd1Jf.gtD7fG.UOv8fwNfBb0jXxUJR4QQAAabVVloZaXZxmCu1V"
        ));
        assert!(!ok("MTE4MzcyNzQ1MDE5MjgzNzQ2NQ.gtD7fG"));
        assert!(!ok("MTE4MzcyNzQ1MDE5MjgzNzQ2NQ.gtD7fG.x.y"));
        assert!(!ok(""));
    }

    #[test]
    fn a_wrong_or_missing_checksum_fails() {
        let t = token("ghp", "Vq3ZbT8yW2nKpL5xR9cF1mH4jD7sGa");
        // One character of the body changed.
        let typo = t.replacen("Vq3", "Vq4", 1);
        assert!(!valid(Checksum::GithubCrc32, typo.as_bytes()));
        // One character of the checksum changed (the case of a letter counts).
        let mut last = t.clone();
        let c = last.pop().expect("non-empty");
        last.push(if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else if c == '0' {
            '1'
        } else {
            '0'
        });
        assert!(!valid(Checksum::GithubCrc32, last.as_bytes()));
        assert!(!valid(
            Checksum::GithubCrc32,
            b"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        ));
        assert!(!valid(Checksum::GithubCrc32, b"ghp_"));
        assert!(!valid(Checksum::GithubCrc32, b"ghp_abcdef"));
        assert!(!valid(Checksum::GithubCrc32, b""));
        assert!(!valid(
            Checksum::GithubCrc32,
            b"ghp_Vq3ZbT8yW2nKpL5xR9cF1mH4jD7sGa-3fKkbG"
        ));
    }
}
