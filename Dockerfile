# Build: docker build -t gateway .
# Run:   docker run -p 8080:8080 -e ALICE_KEY=... -v $PWD/prod.yaml:/app/gateway.yaml gateway
# The mounted config must listen on http://0.0.0.0:8080 with keys: the built-in quick start listens on loopback only.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from project files first, so source edits don't invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY eng/ eng/
COPY src/Gateway/Gateway.csproj src/Gateway/
RUN dotnet restore src/Gateway/Gateway.csproj
COPY gateway.yaml ./
COPY src/ src/
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app ./
# Chiseled images run as the non-root "app" user (UID 1654) and have no shell.
USER app
ENV GATEWAY_CONFIG=/app/gateway.yaml
EXPOSE 8080
ENTRYPOINT ["/app/gateway"]
