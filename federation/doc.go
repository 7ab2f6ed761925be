// Package federation owns everything ActivityPub: the URLs of our actors and
// objects, conversion between stored records and the wire format
// (subpackage ap), HTTP signatures (subpackage signature), the guarded
// fetcher, and the inbox journal and delivery workers. It may import store
// and the domain packages, never handlers or echo.
package federation
