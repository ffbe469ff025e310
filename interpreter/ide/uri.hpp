// `file:` URIs, the names editors give documents, and the paths rbk reads:
// rbk.yaml is looked up and imports are resolved from the document's path,
// so a space or a non-ASCII letter in a folder name must survive the trip.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rbk::ide {

/// The path of a `file:` URI, percent-decoded ("file:///srv/a%20b.rbk" →
/// "/srv/a b.rbk"; the host may be empty or "localhost"). nullopt for
/// another scheme, another host, a bad escape or an escaped NUL.
std::optional<std::string> path_of_uri(std::string_view uri);

/// The `file:` URI of absolute `path`: every byte but the unreserved
/// characters and '/' percent-encoded.
std::string uri_of_path(std::string_view path);

}  // namespace rbk::ide
