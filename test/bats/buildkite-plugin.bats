#!/usr/bin/env bats
# The plugin's hooks under $HOOK_SHELL (busybox sh, dash, bash) with the real kiln against a lab
# registry; test/integration/buildkite-plugin.test.ts starts the registry and the fake agent and
# exports REGISTRY, BASE_IMAGE, AGENT_DIR, KILN_EXECUTOR, REG_USER, REG_PASSWORD, SSL_CERT_FILE.
load "$REPO/node_modules/bats-support/load"
load "$REPO/node_modules/bats-assert/load"

setup() {
  export BUILDKITE_JOB_ID="job-$BATS_TEST_NUMBER-$$"
  export KILN_BUILDKITE_TMPDIR="$BATS_TEST_TMPDIR"
  export BUILDKITE_STEP_KEY=image
  export BUILDKITE_COMMAND=
  export BUILDKITE_PLUGIN_KILN_EXECUTOR="$KILN_EXECUTOR"
  export LAB_USER="$REG_USER" LAB_PASSWORD="$REG_PASSWORD"
  rm -rf "$AGENT_DIR/calls"/* "$AGENT_DIR/meta"/*
  ctx="$BATS_TEST_TMPDIR/ctx"
  mkdir -p "$ctx"
  printf 'hello %s\n' "$BATS_TEST_NUMBER" > "$ctx/hello.txt"
  printf 'FROM %s\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt > /copy.txt\n' "$BASE_IMAGE" > "$ctx/Dockerfile"
}

hook() {
  (cd "$BATS_TEST_TMPDIR" && $HOOK_SHELL "$REPO/hooks/$1")
}

config() {
  export BUILDKITE_PLUGIN_CONFIGURATION="$1"
}

auth_json='[{"registry":"'"$REGISTRY"'","provider":"env","username-env":"LAB_USER","password-env":"LAB_PASSWORD"}]'

# The agent calls recorded by the stub, one line each: the arguments joined with spaces.
calls() {
  for f in "$AGENT_DIR"/calls/*.args; do tr '\0' ' ' < "$f"; echo; done
}

# The stdin of the calls whose arguments start with $1.
stdin_of() {
  for f in "$AGENT_DIR"/calls/*.args; do
    if tr '\0' ' ' < "$f" | grep -q "^$1"; then cat "${f%.args}.stdin"; fi
  done
}

@test "a configured step builds, pushes, sets meta-data and annotates ($HOOK_SHELL)" {
  repo="$REGISTRY/bk/push-$BATS_TEST_NUMBER"
  config '{"context":"ctx","tags":["'"$repo"':1","'"$repo"':2"],"auth":'"$auth_json"',"extra-args":["--isolation=chroot"],"upload-metadata":true,"executor":"'"$KILN_EXECUTOR"'"}'
  run hook environment
  assert_success
  run hook pre-command
  assert_success
  run hook command
  assert_success
  run hook pre-exit
  assert_success
  [ ! -e "$BATS_TEST_TMPDIR/kiln-buildkite-$BUILDKITE_JOB_ID" ]

  digest=$(skopeo inspect --authfile "$REG_AUTHFILE" --format '{{.Digest}}' "docker://$repo:1")
  assert_equal "$(cat "$AGENT_DIR/meta/kiln-digest")" "$digest"
  assert_equal "$(cat "$AGENT_DIR/meta/kiln-digest-0")" "$repo:1@$digest"
  assert_equal "$(cat "$AGENT_DIR/meta/kiln-digest-1")" "$repo:2@$digest"
  annotation=$(stdin_of annotate)
  assert_equal "$(printf '%s' "$annotation" | grep -c "$repo:1@$digest")" 1
  run calls
  # environment asks --version; the next call, before any build, masks the password
  assert_line --index 0 '--version '
  assert_line --index 1 'redactor add '
  assert_line --partial 'annotate --style success --context kiln-image'
  assert_line --partial 'artifact upload '
  assert_equal "$(cat "$AGENT_DIR/calls/00001.stdin")" "$REG_PASSWORD"
  # the password reached the agent only through redactor add's stdin
  run grep -rlF -- "$REG_PASSWORD" "$AGENT_DIR/calls" "$AGENT_DIR/meta"
  assert_output "$AGENT_DIR/calls/00001.stdin"
}

# One run of the step as a job of its own: the hooks in order, the build's metadata file kept as
# $1 (pre-exit removes the job dir), the command hook's wall time in seconds as $2.
cached_run() {
  export BUILDKITE_JOB_ID="job-$BATS_TEST_NUMBER-$$-$1"
  rm -rf "$AGENT_DIR/calls"/* "$AGENT_DIR/meta"/*
  hook pre-command
  start=$EPOCHREALTIME
  hook command
  end=$EPOCHREALTIME
  cp "$BATS_TEST_TMPDIR/kiln-buildkite-$BUILDKITE_JOB_ID/metadata.json" "$BATS_TEST_TMPDIR/$1.json"
  hook pre-exit
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }' > "$BATS_TEST_TMPDIR/$1.seconds"
}

# Cached steps / steps that make a layer (a FROM pulls its base, it is never "cached").
steps_cached() {
  jq -r '[.["kiln.report"].steps[] | select(.instruction | startswith("FROM ") | not)] | "\([.[] | select(.cached)] | length)/\(length)"' "$BATS_TEST_TMPDIR/$1.json"
}

@test "the same step run twice with cache.repo: the second run has every layer cached ($HOOK_SHELL)" {
  # A cache repository of this shell's run alone, so the first run starts cold.
  repo="$REGISTRY/bk/cached-${HOOK_SHELL%% *}"
  config '{"context":"ctx","tags":["'"$repo"':1"],"cache":{"repo":"'"$repo"'-cache"},"auth":'"$auth_json"',"extra-args":["--isolation=chroot"]}'
  cached_run first
  first_layers=$(skopeo inspect --authfile "$REG_AUTHFILE" --format '{{.Layers}}' "docker://$repo:1")
  cached_run second
  assert_equal "$(steps_cached first)" 0/2
  assert_equal "$(steps_cached second)" 2/2
  # the cached run pushed the very layers the first one made
  assert_equal "$(skopeo inspect --authfile "$REG_AUTHFILE" --format '{{.Layers}}' "docker://$repo:1")" "$first_layers"
  run stdin_of annotate
  assert_output --partial '| 2/2 |'
  printf '# cache twice (%s): first run %s steps cached in %ss (kiln %ss), second run %s cached in %ss (kiln %ss)\n' \
    "$HOOK_SHELL" "$(steps_cached first)" "$(cat "$BATS_TEST_TMPDIR/first.seconds")" "$(jq '.["kiln.report"].seconds' "$BATS_TEST_TMPDIR/first.json")" \
    "$(steps_cached second)" "$(cat "$BATS_TEST_TMPDIR/second.seconds")" "$(jq '.["kiln.report"].seconds' "$BATS_TEST_TMPDIR/second.json")" >&3
}

@test "a failed build annotates the failing line and pre-exit removes DOCKER_CONFIG ($HOOK_SHELL)" {
  printf 'FROM %s\nCOPY hello.txt /hello.txt\nRUN false\n' "$BASE_IMAGE" > "$ctx/Dockerfile"
  config '{"context":"ctx","tags":["'"$REGISTRY"'/bk/fail:1"],"auth":'"$auth_json"',"extra-args":["--isolation=chroot"]}'
  run hook pre-command
  assert_success
  [ -f "$BATS_TEST_TMPDIR/kiln-buildkite-$BUILDKITE_JOB_ID/docker/config.json" ]
  run hook command
  assert_failure
  run hook pre-exit
  assert_success
  [ ! -e "$BATS_TEST_TMPDIR/kiln-buildkite-$BUILDKITE_JOB_ID" ]
  run calls
  assert_line --partial 'annotate --style error --context kiln-image'
  refute_line --partial 'meta-data set'
  annotation=$(stdin_of annotate)
  printf '%s' "$annotation" | grep -q 'Dockerfile:3'
  printf '%s' "$annotation" | grep -q 'RUN false'
}

bad_input() {
  config "$1"
  run hook pre-command
  assert_failure
  assert_equal "${#lines[@]}" 1
  assert_output --partial "$2"
  [ -z "$(ls "$AGENT_DIR/calls")" ]
  [ ! -e "$BATS_TEST_TMPDIR/kiln-buildkite-$BUILDKITE_JOB_ID" ]
}

@test "bad input fails in pre-command with one line naming the key path ($HOOK_SHELL)" {
  bad_input '{"tags":["r/a"],"tagz":["x"]}' 'tagz: unknown option'
  bad_input '{"tags":"r/a"}' 'tags: must be array'
  bad_input '{"context":"ctx"}' 'tags: missing'
  bad_input '{"tags":["r/a"],"auth":[{"registry":"r.example","provider":"aws"}]}' 'auth[0].role-arn: missing'
  bad_input '{"tags":["r/a"],"auth":[{"registry":"r.example","provider":"gcp","service-account":"s"}]}' 'auth[0].workload-identity-provider: missing'
}

@test "a step with its own command fails unless run-command is set ($HOOK_SHELL)" {
  config '{"context":"ctx","tags":["'"$REGISTRY"'/bk/cmd:1"],"auth":'"$auth_json"',"extra-args":["--isolation=chroot"]}'
  export BUILDKITE_COMMAND='touch ran-own-command'
  run hook pre-command
  assert_success
  run hook command
  assert_failure
  assert_output --partial 'set run-command: true'
  [ ! -e "$BATS_TEST_TMPDIR/ran-own-command" ]
  hook pre-exit
}

# An OIDC push: the agent's token (from the lab issuer) turned into credentials by pre-command.
# $1 the auth entry, $2 the image on its cloud name, $3 that name's host, $4 the user skopeo checks with.
oidc_push() {
  config '{"context":"ctx","tags":["'"$2"'"],"auth":['"$1"',{"registry":"'"$REGISTRY"'","provider":"env","username-env":"LAB_USER","password-env":"LAB_PASSWORD"}],"oidc-lifetime":120,"extra-args":["--isolation=chroot","--registry-address='"$3"'='"$OIDC_REGISTRY"'"]}'
  run hook pre-command
  assert_success
  run hook command
  assert_success
  hook pre-exit
  run calls
  assert_line --index 0 --partial 'oidc request-token --audience '
  assert_line --index 0 --partial ' --lifetime 120'
  assert_line --index 1 'redactor add '
  secret=$(cat "$AGENT_DIR/calls/00001.stdin")
  [ -n "$secret" ]
  # the minted secret reached the agent only through redactor add's stdin
  run grep -rlF -- "$secret" "$AGENT_DIR/calls" "$AGENT_DIR/meta"
  assert_output "$AGENT_DIR/calls/00001.stdin"
  # the registry holds the image under the digest the plugin published, for the minted credential
  digest=$(skopeo inspect --creds "$4:$secret" --format '{{.Digest}}' "docker://$OIDC_REGISTRY/${2#*/}")
  assert_equal "$(cat "$AGENT_DIR/meta/kiln-digest")" "$digest"
}

@test "OIDC -> Buildkite Packages: the agent's token for the registry is the password ($HOOK_SHELL)" {
  oidc_push '{"registry":"packages.buildkite.com/kiln-lab/images","provider":"buildkite-packages"}' \
    "packages.buildkite.com/kiln-lab/images/app-$BATS_TEST_NUMBER:1" packages.buildkite.com buildkite
  run calls
  assert_line --index 0 'oidc request-token --audience https://packages.buildkite.com/kiln-lab/images --lifetime 120 '
}

@test "OIDC -> ECR: AssumeRoleWithWebIdentity, then GetAuthorizationToken ($HOOK_SHELL)" {
  oidc_push '{"registry":"'"$ECR_HOST"'","provider":"aws","role-arn":"'"$ECR_ROLE"'"}' \
    "$ECR_HOST/bk/app-$BATS_TEST_NUMBER:1" "$ECR_HOST" AWS
  run calls
  assert_line --index 0 'oidc request-token --audience sts.amazonaws.com --lifetime 120 '
}

@test "OIDC refused: one line naming the provider and host, nothing built ($HOOK_SHELL)" {
  config '{"context":"ctx","tags":["'"$ECR_HOST"'/bk/refused:1"],"auth":[{"registry":"'"$ECR_HOST"'","provider":"aws","role-arn":"arn:aws:iam::210987654321:role/not-trusted"}]}'
  run hook pre-command
  assert_failure
  assert_equal "${#lines[@]}" 1
  assert_output --partial 'oidc aws'
  assert_output --partial "$ECR_HOST"
}
