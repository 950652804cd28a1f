//! Where verification and triage requests go: `--sts-endpoint` (`--iam-endpoint`), else the
//! SDK environment variables (`AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL_IAM`, then
//! `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`), else AWS's global
//! endpoint; plain HTTP only on loopback.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::aws::clip;
use crate::error::Error;

/// The official global STS endpoint.
pub(super) const DEFAULT_ENDPOINT: &str = "https://sts.amazonaws.com";
/// The official global IAM endpoint (signed for us-east-1).
pub(super) const DEFAULT_IAM_ENDPOINT: &str = "https://iam.amazonaws.com";

/// Where STS requests are sent: a parsed `http(s)://host[:port][/path]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    https: bool,
    /// Lower case; an IPv6 literal without its brackets.
    host: String,
    /// Only when it differs from the scheme's default.
    port: Option<u16>,
    /// Absolute path, `/` at least.
    path: String,
}

impl Endpoint {
    /// The endpoint to use: `flag`, else `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else
    /// `https://sts.amazonaws.com`. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` disables the
    /// environment overrides (not the flag). Empty variables count as unset. `http://` is
    /// accepted only for loopback hosts (127.0.0.0/8, ::1, localhost).
    pub fn resolve(
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Endpoint, Error> {
        Endpoint::resolve_for(
            ("--sts-endpoint", "AWS_ENDPOINT_URL_STS", DEFAULT_ENDPOINT),
            flag,
            env,
        )
    }

    /// The IAM endpoint for triage, by the same rules: `flag` (`--iam-endpoint`), else
    /// `AWS_ENDPOINT_URL_IAM`, else `AWS_ENDPOINT_URL`, else `https://iam.amazonaws.com`.
    pub fn resolve_iam(
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Endpoint, Error> {
        Endpoint::resolve_for(
            (
                "--iam-endpoint",
                "AWS_ENDPOINT_URL_IAM",
                DEFAULT_IAM_ENDPOINT,
            ),
            flag,
            env,
        )
    }

    /// `resolve` for a service: its flag, its own environment variable and its default URL.
    fn resolve_for(
        (flag_name, service_var, default): (&'static str, &'static str, &str),
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Endpoint, Error> {
        let labelled = |name: &'static str, url: &str| {
            Endpoint::parse_url(url).map_err(|e| Error::flag(name, format!("{name}: {e}")))
        };
        if let Some(url) = flag {
            return labelled(flag_name, url);
        }
        let ignore_env = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !ignore_env {
            for var in [service_var, "AWS_ENDPOINT_URL"] {
                if let Some(url) = env(var).filter(|v| !v.trim().is_empty()) {
                    return labelled(var, &url);
                }
            }
        }
        labelled(flag_name, default)
    }

    /// Parses an endpoint URL given with `--sts-endpoint`. Rejects user info, queries,
    /// fragments, unusual path characters, and `http://` for hosts that are not loopback.
    pub fn parse(url: &str) -> Result<Endpoint, Error> {
        Endpoint::parse_url(url).map_err(|e| Error::flag("--sts-endpoint", e))
    }

    /// `parse`, with the reason as text for the caller to label.
    fn parse_url(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let bad = |why: &str| format!("invalid endpoint URL {:?}: {why}", clip(url, 200));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected http(s)://host[:port]"))?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("the scheme must be https (or http for loopback)")),
        };
        if rest.contains(['?', '#']) {
            return Err(bad("queries and fragments are not supported"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(bad("user information in the URL is not supported"));
        }
        let (host, port) = split_host_port(authority).map_err(|e| bad(&e))?;
        check_path(path).map_err(|e| bad(&e))?;
        let default_port = if https { 443 } else { 80 };
        let endpoint = Endpoint {
            https,
            host,
            port: port.filter(|&p| p != default_port),
            path: path.to_string(),
        };
        if !https && !endpoint.is_loopback() {
            return Err(format!(
                "refusing to send credentials over plain http to {endpoint}: http:// is allowed \
                 only for loopback hosts (127.0.0.0/8, ::1, localhost); use https://"
            ));
        }
        Ok(endpoint)
    }

    /// `https` or `http`.
    pub(crate) fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    /// The host name or address (IPv6 without brackets).
    #[cfg(test)]
    fn host(&self) -> &str {
        &self.host
    }

    /// The port connected to.
    #[cfg(test)]
    fn port(&self) -> u16 {
        self.port.unwrap_or(if self.https { 443 } else { 80 })
    }

    /// Whether requests go over TLS.
    pub(crate) fn is_https(&self) -> bool {
        self.https
    }

    /// The request path (`/` unless the URL had one).
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// True for 127.0.0.0/8, ::1 (and its IPv4-mapped form) and `localhost`.
    pub(crate) fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        if let Ok(ip) = self.host.parse::<Ipv4Addr>() {
            return ip.is_loopback();
        }
        if let Ok(ip) = self.host.parse::<Ipv6Addr>() {
            return ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback());
        }
        false
    }

    /// The `Host` header value that is signed: host, plus `:port` when not the default.
    pub(crate) fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme(), self.host_header(), self.path)
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| "unclosed [ in the host".to_string())?;
        v6.parse::<Ipv6Addr>()
            .map_err(|_| format!("{v6:?} is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| "unexpected text after ]".to_string())?,
            ),
        };
        (v6.to_ascii_lowercase(), port)
    } else {
        let (h, p) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let valid = !h.is_empty()
            && h.len() <= 253
            && !h.starts_with(['.', '-'])
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !valid {
            return Err("missing or invalid host name".to_string());
        }
        (h.to_ascii_lowercase(), p)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(format!("{p:?} is not a port number")),
        },
    };
    Ok((host, port))
}

/// The path is signed as is, so it must need no encoding or normalisation.
fn check_path(path: &str) -> Result<(), String> {
    let chars_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b));
    let segments_ok = path.split('/').all(|seg| seg != "." && seg != "..");
    if path.starts_with('/') && chars_ok && segments_ok && !path.contains("//") {
        Ok(())
    } else {
        Err("the path may hold only letters, digits, - . _ ~ and single slashes".to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn resolve(flag: Option<&str>, vars: &[(&str, &str)]) -> Result<String, String> {
        Endpoint::resolve(flag, &env_of(vars))
            .map(|e| e.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn endpoint_precedence() {
        let both = [
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5055"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.2:6000"),
        ];
        assert_eq!(resolve(None, &[]).unwrap(), "https://sts.amazonaws.com/");
        assert_eq!(resolve(None, &both).unwrap(), "http://127.0.0.1:5055/");
        assert_eq!(resolve(None, &both[1..]).unwrap(), "http://127.0.0.2:6000/");
        assert_eq!(
            resolve(Some("https://sts.us-east-1.amazonaws.com"), &both).unwrap(),
            "https://sts.us-east-1.amazonaws.com/"
        );
        let mut ignored = both.to_vec();
        ignored.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"));
        assert_eq!(
            resolve(None, &ignored).unwrap(),
            "https://sts.amazonaws.com/"
        );
        // The flag still wins when the environment is ignored.
        assert_eq!(
            resolve(Some("http://localhost:1"), &ignored).unwrap(),
            "http://localhost:1/"
        );
        ignored.pop();
        ignored.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"));
        assert_eq!(resolve(None, &ignored).unwrap(), "http://127.0.0.1:5055/");
        // Empty variables are unset.
        assert_eq!(
            resolve(
                None,
                &[("AWS_ENDPOINT_URL_STS", " "), ("AWS_ENDPOINT_URL", "")]
            )
            .unwrap(),
            "https://sts.amazonaws.com/"
        );
    }

    #[test]
    fn iam_endpoint_precedence() {
        let iam = |flag: Option<&str>, vars: &[(&str, &str)]| {
            Endpoint::resolve_iam(flag, &env_of(vars))
                .map(|e| e.to_string())
                .map_err(|e| e.to_string())
        };
        let all = [
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5055"),
            ("AWS_ENDPOINT_URL_IAM", "http://127.0.0.3:7000"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.2:6000"),
        ];
        assert_eq!(iam(None, &[]).unwrap(), "https://iam.amazonaws.com/");
        assert_eq!(iam(None, &all).unwrap(), "http://127.0.0.3:7000/");
        // The STS variable is not the IAM endpoint.
        assert_eq!(iam(None, &all[..1]).unwrap(), "https://iam.amazonaws.com/");
        assert_eq!(iam(None, &all[2..]).unwrap(), "http://127.0.0.2:6000/");
        assert_eq!(
            iam(Some("http://[::1]:9"), &all).unwrap(),
            "http://[::1]:9/"
        );
        let err = iam(Some("http://10.1.1.1"), &[]).unwrap_err();
        assert!(
            err.starts_with("--iam-endpoint: ") && err.contains("loopback"),
            "{err}"
        );
        let err = iam(None, &[("AWS_ENDPOINT_URL_IAM", "http://iam.example")]).unwrap_err();
        assert!(err.starts_with("AWS_ENDPOINT_URL_IAM: "), "{err}");
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:5055",
            "http://127.9.8.7",
            "http://[::1]:8080/",
            "http://LOCALHOST:80/",
            "http://[::ffff:127.0.0.1]:1",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:5055",
            "http://sts.amazonaws.com",
            "http://localhost.evil.example",
            "http://[::2]:80",
            "http://0.0.0.0:80",
        ] {
            let err = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(err.contains("loopback"), "{bad}: {err}");
        }
        let err = resolve(None, &[("AWS_ENDPOINT_URL_STS", "http://192.168.1.1")]).unwrap_err();
        assert!(err.starts_with("AWS_ENDPOINT_URL_STS: "), "{err}");
        let err = resolve(Some("http://192.168.1.1"), &[]).unwrap_err();
        assert!(err.starts_with("--sts-endpoint: "), "{err}");
    }

    #[test]
    fn endpoint_parsing() {
        let e = Endpoint::parse("HTTPS://STS.Example.com:443").unwrap();
        assert_eq!(e.to_string(), "https://sts.example.com/");
        assert_eq!(e.host_header(), "sts.example.com");
        assert_eq!(e.port(), 443);
        let e = Endpoint::parse("https://proxy.corp:8443/sts/").unwrap();
        assert_eq!(e.host_header(), "proxy.corp:8443");
        assert_eq!(e.path(), "/sts/");
        assert_eq!(e.to_string(), "https://proxy.corp:8443/sts/");
        let e = Endpoint::parse("http://[::1]:5055").unwrap();
        assert_eq!(e.host(), "::1");
        assert_eq!(e.host_header(), "[::1]:5055");
        assert_eq!(e.to_string(), "http://[::1]:5055/");
        assert_eq!(e.scheme(), "http");
        for bad in [
            "sts.amazonaws.com",
            "ftp://sts.amazonaws.com",
            "https://user:pw@sts.amazonaws.com",
            "https://sts.amazonaws.com/?x=1",
            "https://sts.amazonaws.com/#f",
            "https://:443",
            "https://sts.amazonaws.com:0",
            "https://sts.amazonaws.com:99999",
            "https://sts.amazonaws.com:+1",
            "https://sts amazonaws.com",
            "https://[::1",
            "https://sts.amazonaws.com/a//b",
            "https://sts.amazonaws.com/a/../b",
            "https://sts.amazonaws.com/%2e",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
