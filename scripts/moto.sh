# Sourced by scripts and tests that need an S3-compatible server: a moto_server on a free port of
# ADDRESS (127.0.0.1, or an emulated cluster's bridge address that its hosts reach over their
# links), holding BUCKET, with the AWS variables that point ronde and the AWS CLI at it.
#
#   source scripts/moto.sh
#   moto_start ADDRESS LOG BUCKET || exit 77   # 1 when moto_server or aws is missing
#   ... AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ... are exported; MOTO_PID is its session ...
#   moto_stop                                  # also safe when it never started
#
# The server runs in a session of its own (setsid), so moto_stop ends every process of it. The
# instance-metadata endpoints are turned off, so no credential lookup leaves the machine.
moto_start() {
  local address=$1 log=$2 bucket=$3 port
  MOTO_PID=""
  command -v moto_server >/dev/null && command -v aws >/dev/null || return 1
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  setsid moto_server -H "$address" -p "$port" > "$log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 100); do (exec 3<> "/dev/tcp/$address/$port") 2>/dev/null && break; sleep 0.1; done
  export AWS_ACCESS_KEY_ID=ronde-test AWS_SECRET_ACCESS_KEY=ronde-test AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="http://$address:$port" RONDE_S3_ADDRESSING=path
  aws --endpoint-url "$AWS_ENDPOINT_URL" s3 mb "s3://$bucket" > /dev/null || { moto_stop; return 2; }
}

moto_stop() {
  if [ -n "${MOTO_PID:-}" ]; then
    kill -- -"$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
  MOTO_PID=""
  unset AWS_ENDPOINT_URL
}
