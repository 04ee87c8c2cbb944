# The harness's own scripts (notebook runner, container init, kernel hook) on top of the sandbox environment
# (Dockerfile, image takehome-sandbox-env:<hash>): one small last layer, so a change to them rebuilds in seconds.
ARG ENV_IMAGE
FROM ${ENV_IMAGE}
COPY harness-sandbox/ /opt/harness/
# The runner's result files, empty and writable by anyone in a root-owned folder: each container's /harness-out
# volume starts as a copy of them (the engine copies them; docker_backend.py), so the sandbox uid may write them
# but not chmod, move or remove them, nor add any.
USER 0
RUN python -c "import sys; sys.path.insert(0, '/opt/harness'); from run_protocol import RESULT_FILES; \
[open(f'/harness-out/{name}', 'x').close() for name in RESULT_FILES]" \
 && chmod 0666 /harness-out/* && chmod 0755 /harness-out
USER 10001:10001
CMD ["python", "/opt/harness/runner.py", "--help"]
