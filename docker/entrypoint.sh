#!/bin/sh
# Lambda's custom-image contract: the handler name arrives as the command.
# - In Lambda, and under a test harness, AWS_LAMBDA_RUNTIME_API is set: run awslambdaric.
# - Locally with the Runtime Interface Emulator mounted at /aws-lambda/aws-lambda-rie (as AWS
#   documents) and no AWS_LAMBDA_RUNTIME_API: run under the emulator, which serves
#   POST http://localhost:8080/2015-03-31/functions/function/invocations.
set -e
# No command: the stage baked into the image (images/Dockerfile sets SLUICE_HANDLER).
if [ "$#" -eq 0 ] && [ -n "${SLUICE_HANDLER}" ]; then
  set -- "${SLUICE_HANDLER}"
fi
RIE=${SLUICE_RIE:-/aws-lambda/aws-lambda-rie}
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  if [ -x "${RIE}" ]; then
    exec "${RIE}" /opt/venv/bin/python -m awslambdaric "$@"
  fi
  echo "sluice: AWS_LAMBDA_RUNTIME_API is not set and no emulator at ${RIE}; see 'make run-image'" >&2
  exit 64
fi
exec /opt/venv/bin/python -m awslambdaric "$@"
