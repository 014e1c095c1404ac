# The gateway in embedded mode: one process, data in the /data volume.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish XRay.Gateway/XRay.Gateway.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# `Urls`, not ASPNETCORE_URLS: appsettings.json sets Urls (localhost) and is read after ASPNETCORE_* variables, so only
# an unprefixed variable (read after it) opens the port to the container's network.
ENV Storage__DataDirectory=/data \
    Urls=http://0.0.0.0:3000
VOLUME /data
EXPOSE 3000
ENTRYPOINT ["dotnet", "XRay.Gateway.dll"]
