//! Every family of leak keyhound must find, with the exact findings each gives: rule, key ID,
//! secret, token, and the line and encoding of every location, and nothing else.

use std::fmt::Write as _;

use crate::support::*;

/// A case whose template holds one `{{KEY}}` and one `{{SECRET}}`: one pair, at their lines.
fn pair_case(name: &str, file: &str, template: &str, seed: u64) -> Case {
    let (k, s) = (key_id(seed), secret(seed));
    let text = fill(template, &[("KEY", &k), ("SECRET", &s)]);
    let e = pair(&k, &s)
        .key_at(line_of(&text, &k))
        .secret_at(line_of(&text, &s));
    Case::new(name).file(file, &text).expect(e)
}

// ---------------------------------------------------------------- configuration formats

#[test]
fn ini_credentials_with_two_profiles() {
    let (k1, s1, k2, s2) = (key_id(1), secret(1), key_id(2), secret(2));
    let text = fill(
        "[default]\n\
         aws_access_key_id = {{K1}}\n\
         aws_secret_access_key = {{S1}}\n\
         \n\
         [profile prod]\n\
         aws_access_key_id={{K2}}\n\
         aws_secret_access_key={{S2}}\n\
         region = eu-west-1\n",
        &[("K1", &k1), ("S1", &s1), ("K2", &k2), ("S2", &s2)],
    );
    Case::new("ini two profiles")
        .file("credentials", &text)
        .expect(pair(&k1, &s1).key_at(2).secret_at(3))
        .expect(pair(&k2, &s2).key_at(6).secret_at(7))
        .check();
}

#[test]
fn dotenv_with_and_without_export_and_quotes() {
    check_all(vec![
        pair_case(
            "dotenv plain",
            "plain.env",
            "APP_ENV=production\nAWS_ACCESS_KEY_ID={{KEY}}\nAWS_SECRET_ACCESS_KEY={{SECRET}}\nAWS_REGION=us-east-1\n",
            10,
        ),
        pair_case(
            "dotenv export",
            "export.env",
            "export AWS_ACCESS_KEY_ID={{KEY}}\nexport AWS_SECRET_ACCESS_KEY={{SECRET}}\n",
            11,
        ),
        pair_case(
            "dotenv double quotes",
            "double.env",
            "AWS_ACCESS_KEY_ID=\"{{KEY}}\"\nAWS_SECRET_ACCESS_KEY=\"{{SECRET}}\"\n",
            12,
        ),
        pair_case(
            "dotenv export single quotes",
            "single.env",
            "# deploy user\nexport AWS_ACCESS_KEY_ID='{{KEY}}'\nexport AWS_SECRET_ACCESS_KEY='{{SECRET}}'\n",
            13,
        ),
    ]);
}

#[test]
fn yaml_nested() {
    pair_case(
        "yaml",
        "config/application.yml",
        "app:\n  name: uploader\n  aws:\n    access_key_id: {{KEY}}\n    secret_access_key: {{SECRET}}\n    region: eu-west-1\n",
        20,
    )
    .check();
}

#[test]
fn json_nested_and_minified() {
    check_all(vec![
        pair_case(
            "json nested",
            "config.json",
            r#"{
  "service": "uploader",
  "aws": {
    "credentials": {
      "accessKeyId": "{{KEY}}",
      "secretAccessKey": "{{SECRET}}"
    },
    "region": "us-east-1"
  }
}
"#,
            21,
        ),
        pair_case(
            "json minified",
            "config.min.json",
            r#"{"service":"uploader","aws":{"credentials":{"accessKeyId":"{{KEY}}","secretAccessKey":"{{SECRET}}"},"region":"us-east-1"}}"#,
            22,
        ),
    ]);
}

#[test]
fn toml_table() {
    pair_case(
        "toml",
        "settings.toml",
        "[storage]\nbucket = \"acme-uploads\"\n\n[storage.aws]\naccess_key_id = \"{{KEY}}\"\nsecret_access_key = \"{{SECRET}}\"\n",
        23,
    )
    .check();
}

#[test]
fn xml_elements_and_values() {
    check_all(vec![
        pair_case(
            "xml elements",
            "s3-config.xml",
            "<?xml version=\"1.0\"?>\n<config>\n  <aws>\n    <accessKeyId>{{KEY}}</accessKeyId>\n    <secretAccessKey>{{SECRET}}</secretAccessKey>\n  </aws>\n</config>\n",
            24,
        ),
        pair_case(
            "xml appSettings values",
            "App.config",
            "<configuration>\n  <appSettings>\n    <add key=\"AWSAccessKey\" value=\"{{KEY}}\" />\n    <add key=\"AWSSecretKey\" value=\"{{SECRET}}\" />\n    <add key=\"AWSRegion\" value=\"us-east-1\" />\n  </appSettings>\n</configuration>\n",
            25,
        ),
        pair_case(
            "xml values without keyword",
            "beans.xml",
            "<bean id=\"uploader\" class=\"com.acme.Uploader\">\n  <constructor-arg value=\"{{KEY}}\"/>\n  <constructor-arg value=\"{{SECRET}}\"/>\n</bean>\n",
            26,
        ),
    ]);
}

#[test]
fn java_properties() {
    pair_case(
        "java properties",
        "src/main/resources/application.properties",
        "spring.application.name=uploader\ncloud.aws.region.static=us-east-1\ncloud.aws.credentials.access-key={{KEY}}\ncloud.aws.credentials.secret-key={{SECRET}}\n",
        27,
    )
    .check();
}

#[test]
fn terraform_provider_block() {
    pair_case(
        "terraform",
        "main.tf",
        "provider \"aws\" {\n  region     = \"us-west-2\"\n  access_key = \"{{KEY}}\"\n  secret_key = \"{{SECRET}}\"\n}\n\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n",
        28,
    )
    .check();
}

#[test]
fn dockerfile_env() {
    check_all(vec![
        pair_case(
            "dockerfile ENV key=value",
            "Dockerfile",
            "FROM python:3.12-slim\nWORKDIR /app\nENV AWS_ACCESS_KEY_ID={{KEY}} \\\n    AWS_SECRET_ACCESS_KEY={{SECRET}} \\\n    AWS_DEFAULT_REGION=us-east-1\nCOPY . .\nCMD [\"python\", \"app.py\"]\n",
            29,
        ),
        pair_case(
            "dockerfile ENV legacy form",
            "worker/Dockerfile",
            "FROM node:20\nENV AWS_ACCESS_KEY_ID {{KEY}}\nENV AWS_SECRET_ACCESS_KEY {{SECRET}}\nRUN npm ci\n",
            30,
        ),
    ]);
}

#[test]
fn docker_compose_environment() {
    check_all(vec![
        pair_case(
            "compose environment list",
            "docker-compose.yml",
            "services:\n  app:\n    image: acme/app:latest\n    environment:\n      - AWS_ACCESS_KEY_ID={{KEY}}\n      - AWS_SECRET_ACCESS_KEY={{SECRET}}\n      - AWS_REGION=us-east-1\n",
            31,
        ),
        pair_case(
            "compose environment map",
            "compose.yaml",
            "services:\n  worker:\n    image: acme/worker:1.2\n    environment:\n      AWS_ACCESS_KEY_ID: {{KEY}}\n      AWS_SECRET_ACCESS_KEY: \"{{SECRET}}\"\n",
            32,
        ),
    ]);
}

#[test]
fn kubernetes_secret_string_data() {
    pair_case(
        "k8s stringData",
        "k8s/aws-secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws-credentials\ntype: Opaque\nstringData:\n  AWS_ACCESS_KEY_ID: {{KEY}}\n  AWS_SECRET_ACCESS_KEY: {{SECRET}}\n",
        33,
    )
    .check();
}

#[test]
fn kubernetes_secret_base64_data() {
    let (k, s) = (key_id(34), secret(34));
    let (bk, bs) = (b64(k.as_bytes()), b64(s.as_bytes()));
    let text = fill(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws-credentials\n  namespace: prod\ntype: Opaque\ndata:\n  AWS_ACCESS_KEY_ID: {{BK}}\n  AWS_SECRET_ACCESS_KEY: {{BS}}\n",
        &[("BK", &bk), ("BS", &bs)],
    );
    Case::new("k8s base64 data")
        .file("k8s/secret.yaml", &text)
        .expect(
            pair(&k, &s)
                .key_at(8)
                .enc("base64")
                .secret_at(9)
                .enc("base64"),
        )
        .check();
}

#[test]
fn github_actions_env() {
    check_all(vec![
        pair_case(
            "actions job env",
            ".github/workflows/deploy.yml",
            "name: deploy\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n      AWS_ACCESS_KEY_ID: {{KEY}}\n      AWS_SECRET_ACCESS_KEY: {{SECRET}}\n      AWS_DEFAULT_REGION: us-east-1\n    steps:\n      - uses: actions/checkout@v4\n      - run: aws s3 sync ./site s3://acme-site\n",
            35,
        ),
        pair_case(
            "actions configure-aws-credentials with",
            ".github/workflows/release.yml",
            "jobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          aws-access-key-id: {{KEY}}\n          aws-secret-access-key: {{SECRET}}\n          aws-region: us-east-1\n",
            36,
        ),
    ]);
}

// ---------------------------------------------------------------- code

#[test]
fn sdk_constructor_calls() {
    check_all(vec![
        pair_case(
            "java BasicAWSCredentials",
            "src/main/java/com/acme/S3Factory.java",
            "package com.acme;\n\npublic class S3Factory {\n    AWSCredentials creds = new BasicAWSCredentials(\"{{KEY}}\", \"{{SECRET}}\");\n}\n",
            40,
        ),
        pair_case(
            "java AwsBasicCredentials multi-line",
            "src/main/java/com/acme/Client.java",
            "AwsBasicCredentials creds = AwsBasicCredentials.create(\n        \"{{KEY}}\",\n        \"{{SECRET}}\");\nS3Client s3 = S3Client.builder().credentialsProvider(StaticCredentialsProvider.create(creds)).build();\n",
            41,
        ),
        pair_case(
            "csharp AmazonS3Client",
            "Storage.cs",
            "using Amazon.S3;\n\nvar client = new AmazonS3Client(\"{{KEY}}\", \"{{SECRET}}\", RegionEndpoint.USEast1);\n",
            42,
        ),
        pair_case(
            "go NewStaticCredentials",
            "main.go",
            "sess := session.Must(session.NewSession(&aws.Config{\n\tRegion:      aws.String(\"us-east-1\"),\n\tCredentials: credentials.NewStaticCredentials(\"{{KEY}}\", \"{{SECRET}}\", \"\"),\n}))\n",
            43,
        ),
        pair_case(
            "ruby Aws::Credentials",
            "config/initializers/aws.rb",
            "Aws.config.update(\n  region: 'us-east-1',\n  credentials: Aws::Credentials.new('{{KEY}}', '{{SECRET}}')\n)\n",
            44,
        ),
        pair_case(
            "php S3Client credentials array",
            "upload.php",
            "<?php\n$s3 = new Aws\\S3\\S3Client([\n    'version' => 'latest',\n    'region'  => 'us-east-1',\n    'credentials' => [\n        'key'    => '{{KEY}}',\n        'secret' => '{{SECRET}}',\n    ],\n]);\n",
            45,
        ),
        pair_case(
            "php Credentials positional",
            "creds.php",
            "<?php\n$credentials = new Aws\\Credentials\\Credentials('{{KEY}}', '{{SECRET}}');\n",
            46,
        ),
        pair_case(
            "rust Credentials::new",
            "src/aws.rs",
            "let creds = Credentials::new(\n    \"{{KEY}}\",\n    \"{{SECRET}}\",\n    None,\n    None,\n    \"static\",\n);\n",
            47,
        ),
        pair_case(
            "python boto3 client kwargs",
            "app/storage.py",
            "import boto3\n\ns3 = boto3.client(\n    \"s3\",\n    aws_access_key_id=\"{{KEY}}\",\n    aws_secret_access_key=\"{{SECRET}}\",\n    region_name=\"us-east-1\",\n)\n",
            48,
        ),
        pair_case(
            "javascript AWS.Credentials positional",
            "src/aws.js",
            "const AWS = require('aws-sdk');\nconst creds = new AWS.Credentials('{{KEY}}', '{{SECRET}}');\n",
            49,
        ),
        pair_case(
            "javascript S3Client credentials object",
            "src/s3.mjs",
            "const client = new S3Client({\n  region: \"us-east-1\",\n  credentials: {\n    accessKeyId: \"{{KEY}}\",\n    secretAccessKey: \"{{SECRET}}\",\n  },\n});\n",
            50,
        ),
    ]);
}

// ---------------------------------------------------------------- downloads, data, logs

#[test]
fn iam_console_csv_downloads() {
    let (k1, s1, k2, s2) = (key_id(55), secret(55), key_id(56), secret(56));
    let multi = fill(
        "Access key ID,Secret access key\n{{K1}},{{S1}}\n{{K2}},{{S2}}\n",
        &[("K1", &k1), ("S1", &s1), ("K2", &k2), ("S2", &s2)],
    );
    check_all(vec![
        pair_case(
            "iam csv 2 columns",
            "deploy_accessKeys.csv",
            "Access key ID,Secret access key\n{{KEY}},{{SECRET}}\n",
            51,
        ),
        pair_case(
            "iam csv 2 columns BOM CRLF",
            "ci_accessKeys.csv",
            "\u{feff}Access key ID,Secret access key\r\n{{KEY}},{{SECRET}}\r\n",
            52,
        ),
        pair_case(
            "iam csv 5 columns",
            "credentials.csv",
            "User name,Password,Access key ID,Secret access key,Console login link\ndeploy-bot,,{{KEY}},{{SECRET}},https://123456789012.signin.aws.amazon.com/console\n",
            53,
        ),
        Case::new("csv two rows")
            .file("keys.csv", &multi)
            .expect(pair(&k1, &s1).key_at(2).secret_at(2))
            .expect(pair(&k2, &s2).key_at(3).secret_at(3)),
    ]);
}

#[test]
fn sql_insert() {
    pair_case(
        "sql insert",
        "db/seed.sql",
        "-- service accounts\nINSERT INTO service_credentials (id, name, access_key, secret_key)\nVALUES (42, 'uploader', '{{KEY}}', '{{SECRET}}');\n",
        57,
    )
    .check();
}

#[test]
fn passwd_s3fs() {
    pair_case("passwd-s3fs", ".passwd-s3fs", "{{KEY}}:{{SECRET}}\n", 58).check();
}

#[test]
fn jupyter_notebook() {
    pair_case(
        "jupyter notebook",
        "analysis.ipynb",
        r#"{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {},
   "outputs": [],
   "source": [
    "import boto3\n",
    "\n",
    "session = boto3.Session(\n",
    "    aws_access_key_id=\"{{KEY}}\",\n",
    "    aws_secret_access_key=\"{{SECRET}}\",\n",
    ")\n",
    "s3 = session.client(\"s3\")"
   ]
  }
 ],
 "metadata": {
  "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
"#,
        59,
    )
    .check();
}

#[test]
fn log_line() {
    pair_case(
        "log line",
        "logs/app.log",
        "2024-05-01T12:00:00Z INFO starting uploader\n2024-05-01T12:00:01Z DEBUG loaded config: access_key={{KEY}} secret_key={{SECRET}} region=us-east-1\n2024-05-01T12:00:02Z INFO ready\n",
        60,
    )
    .check();
}

#[test]
fn markdown_code_block() {
    pair_case(
        "markdown",
        "docs/setup.md",
        "# Setup\n\nConfigure the CLI:\n\n```bash\naws configure set aws_access_key_id {{KEY}}\naws configure set aws_secret_access_key {{SECRET}}\n```\n",
        61,
    )
    .check();
}

#[test]
fn crlf_line_endings() {
    pair_case(
        "crlf",
        "windows.ini",
        "[default]\r\naws_access_key_id = {{KEY}}\r\naws_secret_access_key = {{SECRET}}\r\nregion = us-east-1\r\n",
        62,
    )
    .check();
}

#[test]
fn aws_configure_transcript_and_ecs_task_definition() {
    check_all(vec![
        pair_case(
            "aws configure transcript",
            "notes/setup.txt",
            "$ aws configure\nAWS Access Key ID [None]: {{KEY}}\nAWS Secret Access Key [None]: {{SECRET}}\nDefault region name [None]: us-east-1\nDefault output format [None]: json\n",
            69,
        ),
        pair_case(
            "ecs task definition environment",
            "taskdef.json",
            r#"{
  "family": "uploader",
  "containerDefinitions": [
    {
      "name": "app",
      "environment": [
        {
          "name": "AWS_ACCESS_KEY_ID",
          "value": "{{KEY}}"
        },
        {
          "name": "AWS_SECRET_ACCESS_KEY",
          "value": "{{SECRET}}"
        }
      ]
    }
  ]
}
"#,
            77,
        ),
    ]);
}

// ---------------------------------------------------------------- pairing

#[test]
fn secret_a_few_lines_before_its_key_id() {
    check_all(vec![
        pair_case(
            "secret before key (keywords)",
            "before.ini",
            "aws_secret_access_key = {{SECRET}}\n# rotated 2024-01\nregion = us-east-1\naws_access_key_id = {{KEY}}\n",
            63,
        ),
        pair_case(
            "secret before key (code)",
            "before.py",
            "SECRET = \"{{SECRET}}\"\nREGION = \"us-east-1\"\nKEY = \"{{KEY}}\"\n",
            64,
        ),
    ]);
}

#[test]
fn pair_25_lines_apart() {
    let filler: String = (0..24).map(|i| format!("SETTING_{i}=value{i}\n")).collect();
    let template =
        format!("AWS_ACCESS_KEY_ID={{{{KEY}}}}\n{filler}AWS_SECRET_ACCESS_KEY={{{{SECRET}}}}\n");
    let case = pair_case("25 lines apart", "far.env", &template, 65);
    let (k, s) = (key_id(65), secret(65));
    let text = fill(&template, &[("KEY", &k), ("SECRET", &s)]);
    assert_eq!(line_of(&text, &s) - line_of(&text, &k), 25);
    case.check();
}

#[test]
fn interleaved_pairs_pair_in_order() {
    let (k1, s1, k2, s2) = (key_id(66), secret(66), key_id(67), secret(67));
    let text = fill(
        "primary_access_key_id = {{K1}}\nbackup_access_key_id = {{K2}}\nprimary_secret_access_key = {{S1}}\nbackup_secret_access_key = {{S2}}\n",
        &[("K1", &k1), ("S1", &s1), ("K2", &k2), ("S2", &s2)],
    );
    Case::new("interleaved k1 k2 s1 s2")
        .file("two-keys.ini", &text)
        .expect(pair(&k1, &s1).key_at(1).secret_at(3))
        .expect(pair(&k2, &s2).key_at(2).secret_at(4))
        .check();
}

#[test]
fn pair_in_a_50_kb_minified_line() {
    let mut head = String::new();
    let mut i = 0;
    while head.len() < 26_000 {
        write!(head, "function f{i}(t){{return t*{}+{}}};", i % 97, i % 13).unwrap();
        i += 1;
    }
    let tail = head.replace("function f", "let g=function h");
    let template = format!(
        "{head}var cfg={{region:\"us-east-1\",credentials:{{accessKeyId:\"{{{{KEY}}}}\",secretAccessKey:\"{{{{SECRET}}}}\"}}}};{tail}\n"
    );
    let case = pair_case("50 KB minified line", "dist/bundle.min.js", &template, 68);
    assert!(template.len() >= 50_000 && template.matches('\n').count() == 1);
    case.check();
}

// ---------------------------------------------------------------- encodings

#[test]
fn url_encoded_secret() {
    let (k1, s1) = (key_id(70), secret_with_symbols(70));
    let (k2, s2) = (key_id(71), secret_with_symbols(71));
    let query = fill(
        "#!/bin/sh\ncurl -X PUT \"https://uploads.acme.io/put?access_key={{K}}&secret_key={{S}}&bucket=logs\"\n",
        &[("K", &k1), ("S", &url_encode(&s1))],
    );
    let s3a = fill(
        "spark.hadoop.fs.s3a.impl=org.apache.hadoop.fs.s3a.S3AFileSystem\ninput.path=s3a://{{K}}:{{S}}@acme-data-lake/events/\n",
        &[("K", &k2), ("S", &url_encode(&s2))],
    );
    check_all(vec![
        Case::new("url-encoded secret in query string")
            .file("upload.sh", &query)
            .expect(pair(&k1, &s1).key_at(2).secret_at(2).enc("url")),
        Case::new("url-encoded secret in s3a URL")
            .file("spark.properties", &s3a)
            .expect(pair(&k2, &s2).key_at(2).secret_at(2).enc("url")),
    ]);
}

#[test]
fn json_escaped_slashes() {
    let (k, s) = (key_id(72), secret_with_symbols(72));
    let text = fill(
        "{\"credentials\":{\"AccessKeyId\":\"{{K}}\",\"SecretAccessKey\":\"{{S}}\",\"Region\":\"us-east-1\"}}\n",
        &[("K", &k), ("S", &json_escape_slashes(&s))],
    );
    Case::new("json escaped slashes")
        .file("cache.json", &text)
        .expect(pair(&k, &s).key_at(1).secret_at(1).enc("json_escaped"))
        .check();
}

// ---------------------------------------------------------------- temporary credentials

#[test]
fn asia_key_secret_and_token_in_ini() {
    let (k, s, t) = (asia_key_id(80), secret(80), session_token(80));
    let text = fill(
        "[default]\nregion = us-east-1\n\n[assumed]\naws_access_key_id = {{K}}\naws_secret_access_key = {{S}}\naws_session_token = {{T}}\n",
        &[("K", &k), ("S", &s), ("T", &t)],
    );
    Case::new("asia ini with aws_session_token")
        .file(".aws/credentials", &text)
        .expect(
            pair(&k, &s)
                .with_token(&t)
                .key_at(5)
                .secret_at(6)
                .token_at(7),
        )
        .check();
}

#[test]
fn sts_assume_role_json_output() {
    let (k, s, t) = (asia_key_id(81), secret(81), session_token(81));
    let role = unique_id("AROA", 81);
    let text = fill(
        r#"{
    "Credentials": {
        "AccessKeyId": "{{K}}",
        "SecretAccessKey": "{{S}}",
        "SessionToken": "{{T}}",
        "Expiration": "2024-05-01T13:00:00+00:00"
    },
    "AssumedRoleUser": {
        "AssumedRoleId": "{{ROLE}}:deploy-session",
        "Arn": "arn:aws:sts::123456789012:assumed-role/deploy/deploy-session"
    }
}
"#,
        &[("K", &k), ("S", &s), ("T", &t), ("ROLE", &role)],
    );
    Case::new("sts assume-role output")
        .file("assume-role.json", &text)
        .expect(
            pair(&k, &s)
                .with_token(&t)
                .key_at(3)
                .secret_at(4)
                .token_at(5),
        )
        .check();
}

#[test]
fn x_amz_security_token_url_parameter() {
    let (k, s, t) = (asia_key_id(82), secret(82), session_token(82));
    let text = fill(
        "#!/bin/sh\nexport AWS_ACCESS_KEY_ID={{K}}\nexport AWS_SECRET_ACCESS_KEY={{S}}\ncurl -s \"https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Security-Token={{T}}\"\n",
        &[("K", &k), ("S", &s), ("T", &url_encode(&t))],
    );
    Case::new("X-Amz-Security-Token")
        .file("whoami.sh", &text)
        .expect(
            pair(&k, &s)
                .with_token(&t)
                .key_at(2)
                .secret_at(3)
                .token_at(4)
                .enc("url"),
        )
        .check();
}

/// Most tokens STS issues carry ten `/` in a row near their start (a protobuf varint); such a
/// token is still a token.
#[test]
fn session_token_with_run_of_slashes() {
    let (k, s, t) = (asia_key_id(83), secret(83), session_token_realistic(83));
    let text = fill(
        "export AWS_ACCESS_KEY_ID={{K}}\nexport AWS_SECRET_ACCESS_KEY={{S}}\nexport AWS_SESSION_TOKEN={{T}}\n",
        &[("K", &k), ("S", &s), ("T", &t)],
    );
    Case::new("realistic session token")
        .file("session.sh", &text)
        .expect(
            pair(&k, &s)
                .with_token(&t)
                .key_at(1)
                .secret_at(2)
                .token_at(3),
        )
        .check();
}

// ---------------------------------------------------------------- lone parts

#[test]
fn lone_key_id_is_low() {
    let k = key_id(90);
    let text = fill(
        r#"{
    "AccessKeyMetadata": [
        {
            "UserName": "deploy",
            "AccessKeyId": "{{K}}",
            "Status": "Active",
            "CreateDate": "2024-01-01T00:00:00+00:00"
        }
    ]
}
"#,
        &[("K", &k)],
    );
    Case::new("lone key id")
        .file("list-access-keys.json", &text)
        .expect(lone_key(&k).key_at(5))
        .check();
}

#[test]
fn lone_secret_with_aws_keyword_is_high() {
    let s = secret(91);
    Case::new("lone secret")
        .file(
            "prod.env",
            fill(
                "AWS_REGION=us-east-1\nAWS_SECRET_ACCESS_KEY={{S}}\n",
                &[("S", &s)],
            ),
        )
        .expect(lone_secret(&s).secret_at(2))
        .check();
}

#[test]
fn lone_session_token_is_medium() {
    let t = session_token(96);
    Case::new("lone session token")
        .file(
            "session.env",
            fill(
                "AWS_REGION=us-east-1\nAWS_SESSION_TOKEN={{T}}\n",
                &[("T", &t)],
            ),
        )
        .expect(lone_token(&t).token_at(2))
        .check();
}

#[test]
fn key_next_to_hashes_and_identifiers_is_not_paired() {
    let k = key_id(92);
    let sha = hex(92, 40);
    let text = fill(
        "deploy:\n  access_key_id: {{K}}\n  commit: {{SHA}}\n  provider: DefaultAwsCredentialsProviderChainHolder\n",
        &[("K", &k), ("SHA", &sha)],
    );
    Case::new("key id next to hash")
        .file("deploy.yml", &text)
        .expect(lone_key(&k).key_at(2))
        .check();
}

// ---------------------------------------------------------------- walking

#[test]
fn hidden_files_are_scanned() {
    let (k1, s1, k2, s2) = (key_id(93), secret(93), key_id(94), secret(94));
    Case::new("hidden files")
        .file(
            ".env",
            fill(
                "AWS_ACCESS_KEY_ID={{K}}\nAWS_SECRET_ACCESS_KEY={{S}}\n",
                &[("K", &k1), ("S", &s1)],
            ),
        )
        .file(
            ".aws/credentials",
            fill(
                "[default]\naws_access_key_id = {{K}}\naws_secret_access_key = {{S}}\n",
                &[("K", &k2), ("S", &s2)],
            ),
        )
        .expect(pair(&k1, &s1).key_at(1).secret_at(2).in_file(".env"))
        .expect(
            pair(&k2, &s2)
                .key_at(2)
                .secret_at(3)
                .in_file(".aws/credentials"),
        )
        .check();
}

#[test]
fn gitignored_file_is_skipped_unless_no_ignore() {
    let (k, s) = (key_id(95), secret(95));
    let text = fill(
        "AWS_ACCESS_KEY_ID={{K}}\nAWS_SECRET_ACCESS_KEY={{S}}\n",
        &[("K", &k), ("S", &s)],
    );
    let ignored = || {
        Case::new("")
            .file(".gitignore", "secrets.env\n*.log\n")
            .file("secrets.env", &text)
            .file("README.txt", "nothing here\n")
    };
    let mut respected = ignored();
    respected.name = "gitignore respected".into();
    let mut no_ignore = ignored()
        .arg("--no-ignore")
        .expect(pair(&k, &s).key_at(1).secret_at(2).in_file("secrets.env"));
    no_ignore.name = "--no-ignore".into();
    check_all(vec![respected, no_ignore]);
}

// ---------------------------------------------------------------- enrichment

#[test]
fn account_id_is_decoded_offline() {
    let modern: Vec<String> = (100..104).map(key_id).chain([asia_key_id(104)]).collect();
    let old: Vec<String> = (105..107).map(old_key_id).collect();
    let mut text = String::new();
    let mut case = Case::new("account ids");
    for (i, k) in modern.iter().chain(&old).enumerate() {
        // Far apart, so that each is a lone key ID.
        writeln!(text, "# key {i}: {k}\n\n\n\n\n\n").unwrap();
    }
    for k in modern.iter().chain(&old) {
        case = case.expect(lone_key(k).key_at(line_of(&text, k)));
    }
    let doc = case.file("keys.txt", &text).check();
    for f in doc["findings"].as_array().unwrap() {
        let key = f["aws"]["key_id"].as_str().unwrap();
        let account = &f["aws"]["account_id"];
        if matches!(key.as_bytes()[4], b'I' | b'J') {
            assert!(account.is_null(), "{key}: account {account} should be null");
        } else {
            let a = account.as_str().unwrap_or_default();
            assert!(
                a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()),
                "{key}: account {account} is not 12 digits"
            );
            assert_eq!(Some(a.to_string()), expected_account(key), "{key}");
        }
    }
}
