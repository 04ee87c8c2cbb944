# The harness's own scripts (notebook runner, container init, kernel hook) on top of the sandbox environment
# (Dockerfile, image takehome-sandbox-env:<hash>): one small last layer, so a change to them rebuilds in seconds.
ARG ENV_IMAGE
FROM ${ENV_IMAGE}
COPY harness-sandbox/ /opt/harness/
CMD ["python", "/opt/harness/runner.py", "--help"]
