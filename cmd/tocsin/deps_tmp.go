package main
import (
 _ "github.com/go-fed/activity/streams"
 _ "github.com/go-fed/activity/pub"
 _ "github.com/go-fed/httpsig"
 _ "github.com/labstack/echo/v4"
 _ "go.etcd.io/bbolt"
 _ "github.com/BurntSushi/toml"
 _ "github.com/oklog/ulid/v2"
 _ "golang.org/x/crypto/bcrypt"
 _ "github.com/microcosm-cc/bluemonday"
 _ "github.com/yuin/goldmark"
)

