//! Signature V4 against the official test suite vectors and the vectors in the notes.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

// Inputs shared by every case of the SigV4 test suite (aws-c-auth
// tests/aws-signing-test-suite/v4/*/context.json, also shipped in the aws-sigv4 crate).
const SUITE_KEY_ID: &str = "AKIDEXAMPLE";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_HOST: &str = "example.amazonaws.com";
/// 2015-08-30T12:36:00Z.
const SUITE_TIME: u64 = 1_440_938_160;
/// The suite's example session token (post-sts-header-before, post-sts-token).
const SUITE_TOKEN: &str = concat!(
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwA",
    "eMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8p",
    "hUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT",
    "38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabI",
    "Qwj2ICCR/oLxBA==",
);
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn suite_sign(method: &str, headers: &[(&str, &str)], payload: &[u8]) -> Signature {
    let date = AmzDate::from_unix(SUITE_TIME);
    sign(&SigningInput {
        method,
        path: "/",
        headers,
        payload,
        key_id: SUITE_KEY_ID,
        secret: &Secret::new(SUITE_SECRET),
        region: "us-east-1",
        service: "service",
        date: &date,
    })
}

fn last_line(s: &str) -> &str {
    s.rsplit('\n').next().unwrap()
}

#[test]
fn date_formatting() {
    let d = AmzDate::from_unix(SUITE_TIME);
    assert_eq!(d.stamp, "20150830T123600Z");
    assert_eq!(d.day, "20150830");
    assert_eq!(AmzDate::from_unix(0).stamp, "19700101T000000Z");
    // Leap days and the ends of months and years.
    assert_eq!(AmzDate::from_unix(951_782_400).stamp, "20000229T000000Z");
    assert_eq!(AmzDate::from_unix(951_868_799).stamp, "20000229T235959Z");
    assert_eq!(AmzDate::from_unix(1_709_164_800).stamp, "20240229T000000Z");
    assert_eq!(AmzDate::from_unix(1_735_689_599).stamp, "20241231T235959Z");
    assert_eq!(AmzDate::from_unix(1_735_689_600).stamp, "20250101T000000Z");
    assert_eq!(AmzDate::from_unix(4_107_542_400).stamp, "21000301T000000Z");
    assert_eq!(
        AmzDate::from_system_time(UNIX_EPOCH + std::time::Duration::from_secs(SUITE_TIME)),
        AmzDate::from_unix(SUITE_TIME)
    );
}

#[test]
fn date_matches_a_day_by_day_walk() {
    // Walk the calendar from 1970 for 200 years and compare with civil_from_days.
    let mut ymd = (1970u64, 1u64, 1u64);
    for days in 0..(200 * 366) {
        assert_eq!(civil_from_days(days), ymd, "day {days}");
        let (y, m, d) = ymd;
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let len = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        ymd = if d < len {
            (y, m, d + 1)
        } else if m < 12 {
            (y, m + 1, 1)
        } else {
            (y + 1, 1, 1)
        };
    }
}

#[test]
fn suite_get_vanilla() {
    let s = suite_sign(
        "GET",
        &[("Host", SUITE_HOST), ("X-Amz-Date", "20150830T123600Z")],
        b"",
    );
    assert_eq!(
        s.canonical_request,
        format!(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_SHA256}"
        )
    );
    assert_eq!(
        s.string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
         bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    assert_eq!(
        s.signature,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    assert_eq!(
        s.authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn suite_post_vanilla() {
    let s = suite_sign(
        "POST",
        &[("Host", SUITE_HOST), ("X-Amz-Date", "20150830T123600Z")],
        b"",
    );
    assert_eq!(
        last_line(&s.string_to_sign),
        "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"
    );
    assert_eq!(
        s.signature,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
    );
}

#[test]
fn suite_post_x_www_form_urlencoded() {
    // The suite signs the body hash as a header here (`sign_body`), in a header order
    // different from the canonical one.
    let body_hash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";
    let s = suite_sign(
        "POST",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Host", SUITE_HOST),
            ("Content-Length", "13"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("x-amz-content-sha256", body_hash),
        ],
        b"Param1=value1",
    );
    assert_eq!(
        s.canonical_request,
        format!(
            "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\n\
             host:example.amazonaws.com\nx-amz-content-sha256:{body_hash}\n\
             x-amz-date:20150830T123600Z\n\n\
             content-length;content-type;host;x-amz-content-sha256;x-amz-date\n{body_hash}"
        )
    );
    assert_eq!(
        last_line(&s.string_to_sign),
        "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb"
    );
    assert_eq!(
        s.signature,
        "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
    );
}

#[test]
fn suite_post_x_www_form_urlencoded_parameters() {
    let body_hash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";
    let s = suite_sign(
        "POST",
        &[
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("Host", SUITE_HOST),
            ("Content-Length", "13"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("x-amz-content-sha256", body_hash),
        ],
        b"Param1=value1",
    );
    assert_eq!(
        last_line(&s.string_to_sign),
        "a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d"
    );
    assert_eq!(
        s.signature,
        "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"
    );
}

#[test]
fn suite_post_sts_token_signed_header() {
    // post-sts-header-before: the token is sent and signed as x-amz-security-token.
    let s = suite_sign(
        "POST",
        &[
            ("Host", SUITE_HOST),
            ("X-Amz-Security-Token", SUITE_TOKEN),
            ("X-Amz-Date", "20150830T123600Z"),
        ],
        b"",
    );
    assert_eq!(s.signed_headers, "host;x-amz-date;x-amz-security-token");
    assert!(s
        .canonical_request
        .contains(&format!("\nx-amz-security-token:{SUITE_TOKEN}\n")));
    assert_eq!(
        last_line(&s.string_to_sign),
        "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"
    );
    assert_eq!(
        s.signature,
        "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
    );
}

#[test]
fn suite_get_vanilla_with_session_token() {
    let s = suite_sign(
        "GET",
        &[
            ("Host", SUITE_HOST),
            (
                "X-Amz-Security-Token",
                "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            ),
            ("X-Amz-Date", "20150830T123600Z"),
        ],
        b"",
    );
    assert_eq!(
        last_line(&s.string_to_sign),
        "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b"
    );
    assert_eq!(
        s.signature,
        "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
    );
}

#[test]
fn header_values_are_trimmed_and_collapsed() {
    let a = suite_sign(
        "GET",
        &[
            ("HOST", "  example.amazonaws.com "),
            ("x-amz-date", "20150830T123600Z"),
        ],
        b"",
    );
    assert_eq!(
        a.signature,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    assert_eq!(canonical_value("  a   b  c "), "a b c");
}

/// Notes §9.3: our exact STS request, cross-checked with botocore's `SigV4Auth`.
#[test]
fn golden_sts_get_caller_identity_long_term_key() {
    let date = AmzDate::from_unix(SUITE_TIME);
    let secret = Secret::new(SUITE_SECRET);
    let (headers, s) =
        sign_get_caller_identity("sts.amazonaws.com", "/", SUITE_KEY_ID, &secret, None, &date);
    assert_eq!(
        hex(&Sha256::digest(STS_BODY.as_bytes())),
        "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843"
    );
    assert_eq!(
        s.canonical_request,
        "POST\n/\n\n\
         content-type:application/x-www-form-urlencoded; charset=utf-8\n\
         host:sts.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
         content-type;host;x-amz-date\n\
         ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843"
    );
    assert_eq!(
        s.string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/sts/aws4_request\n\
         db0f231bd5fb16e6f5461c322c611c18d360f776c1ec9aea36032f7469ea7559"
    );
    assert_eq!(
        s.signature,
        "6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"
    );
    assert_eq!(headers.amz_date, "20150830T123600Z");
    assert!(headers.security_token.is_none());
    assert_eq!(
        headers.authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, \
         Signature=6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"
    );
}

#[test]
fn golden_sts_get_caller_identity_with_session_token() {
    let date = AmzDate::from_unix(SUITE_TIME);
    let secret = Secret::new(SUITE_SECRET);
    let token = Secret::new(SUITE_TOKEN);
    let (headers, s) = sign_get_caller_identity(
        "sts.amazonaws.com",
        "/",
        SUITE_KEY_ID,
        &secret,
        Some(&token),
        &date,
    );
    assert_eq!(
        s.signed_headers,
        "content-type;host;x-amz-date;x-amz-security-token"
    );
    assert_eq!(
        last_line(&s.string_to_sign),
        "790910251fcb5daa0f6a23a441a00cf0339ab452307573f6d996ca394a7b0085"
    );
    assert_eq!(
        s.signature,
        "622eac1fa771ec74baed2bc00ed1fb9e028449ec2fdca34394adc45c47d26732"
    );
    assert_eq!(headers.security_token.as_ref(), Some(&token));
}

#[test]
fn the_host_header_with_a_port_changes_the_signature() {
    let date = AmzDate::from_unix(SUITE_TIME);
    let secret = Secret::new(SUITE_SECRET);
    let (_, a) =
        sign_get_caller_identity("127.0.0.1:5055", "/", SUITE_KEY_ID, &secret, None, &date);
    assert!(a.canonical_request.contains("\nhost:127.0.0.1:5055\n"));
    assert_ne!(
        a.signature,
        "6fb20d31f734d876c5682fdd2678d194cf68b862755f83b7ba1373c0874be25c"
    );
}

#[test]
fn no_secret_in_debug_output() {
    let date = AmzDate::from_unix(SUITE_TIME);
    let secret = Secret::new(SUITE_SECRET);
    let token = Secret::new(SUITE_TOKEN);
    let (headers, sig) = sign_get_caller_identity(
        "sts.amazonaws.com",
        "/",
        SUITE_KEY_ID,
        &secret,
        Some(&token),
        &date,
    );
    let dbg = format!("{headers:?} {sig:?}");
    assert!(!dbg.contains("K7MDENG"), "{dbg}");
    assert!(!dbg.contains("EXAMPLEtc764bN"), "{dbg}");
}
