# Sourced by the scripts/aot-*.sh checks. aot_publish NAME PROJECT [publish arguments...] publishes PROJECT with
# NativeAOT from clean (its Release bin and obj removed first) into artifacts/NAME, logs to artifacts/NAME-publish.log,
# and fails when the publish printed a trim/AOT warning (IL2xxx/IL3xxx), an analyzer warning of this library (SOCH) or
# a platform warning (SYSLIB). Sets $out to the publish folder.
aot_publish() {
  local name=$1 project=$2
  shift 2
  local dir
  dir=$(dirname "$project")
  out=artifacts/$name
  rm -rf "$out" "$dir/bin/Release" "$dir/obj/Release"
  mkdir -p artifacts
  dotnet publish "$project" -c Release -r linux-x64 -o "$out" "$@" | tee "artifacts/$name-publish.log"
  if grep -E 'warning (IL[23][0-9]{3}|SOCH|SYSLIB)' "artifacts/$name-publish.log"; then
    echo "$name: the publish printed trim/AOT warnings" >&2
    exit 1
  fi
}
